"""Reading `-f FILE|DIR|-`: every document of every manifest, each knowing the file it came from.

A document that cannot become an object (YAML syntax, no kind, an apiVersion/kind the API does
not serve) carries kubectl's error text instead; the others carry their kind, name and namespace.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from kubelab.api.registry import KindInfo
from kubelab.cli import url_source
from kubelab.manifest import ManifestError, MissingKindError, NoKindMatchError, kind_info

__all__ = ["Document", "read_documents", "MANIFEST_EXTENSIONS"]

MANIFEST_EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass
class Document:
    source: str  # the file as named on the command line ("STDIN" for -)
    data: dict[str, Any] | None = None
    info: KindInfo | None = None
    error: str | None = None  # kubectl's message when the document is unusable

    @property
    def name(self) -> str:
        return str((self.data or {}).get("metadata", {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str((self.data or {}).get("metadata", {}).get("namespace") or "")


def _files(name: str, recursive: bool) -> Iterator[tuple[str, str]]:
    """(source, text) for -f NAME: a file, a directory's manifests, or stdin."""
    if name == "-":
        yield "STDIN", sys.stdin.read()
        return
    if url_source.is_url(name):
        yield name, url_source.read_url(name)
        return
    path = Path(name)
    if path.is_dir():
        pattern = "**/*" if recursive else "*"
        for p in sorted(path.glob(pattern)):
            if p.is_file() and p.suffix in MANIFEST_EXTENSIONS:
                yield str(p), p.read_text()
        return
    if not path.exists():
        raise FileNotFoundError(f'error: the path "{name}" does not exist')
    yield name, path.read_text()


def _yaml_error(source: str, e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"error: error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}"


def _document(source: str, data: Any) -> Document:
    if not isinstance(data, dict):
        return Document(source, error=f'error: error validating "{source}": error validating data: invalid '
                                      "object to validate; if you choose to ignore these errors, turn "
                                      "validation off with --validate=false")
    try:
        info = kind_info(data)
    except MissingKindError:
        missing = "kind" if not data.get("kind") else "apiVersion"
        return Document(source, data, error=f'error: error validating "{source}": error validating data: '
                                            f"{missing} not set; if you choose to ignore these errors, turn "
                                            "validation off with --validate=false")
    except NoKindMatchError as e:
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        return Document(source, data, error=(
            f'error: resource mapping not found for name: "{meta.get("name", "")}" namespace: '
            f'"{meta.get("namespace", "")}" from "{source}": {e}\nensure CRDs are installed first'))
    except ManifestError as e:
        return Document(source, data, error=f'error: error validating "{source}": {e}')
    return Document(source, data, info)


def read_documents(names: list[str], recursive: bool = False) -> Iterator[Document]:
    """Every document of every -f argument, in order; `kind: List` documents give their items."""
    for name in names:
        for source, text in _files(name, recursive):
            try:
                docs = [d for d in yaml.safe_load_all(text) if d is not None]
            except yaml.YAMLError as e:
                yield Document(source, error=_yaml_error(source, e))
                continue
            for data in docs:
                if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
                    for item in data["items"]:
                        yield _document(source, item)
                else:
                    yield _document(source, data)
