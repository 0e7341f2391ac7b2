"""Writing a volume's files so that a reader never sees half an update (pkg/volume/util/atomic_writer.go).

    <volume>/..2026_12_05_11_20_31.1234567/    this version's files (a timestamped directory)
    <volume>/..data -> ..2026_12_05_11_20_31.1234567
    <volume>/<key>  -> ..data/<key>            one symlink per top-level name of the payload

An update writes a new timestamped directory, points `..data_tmp` at it and renames that over `..data`
(one atomic rename switches every file at once), adds the symlinks of new names, removes those of names
gone, then removes the old directory. An unchanged payload writes nothing. Containers bind-mount the
volume directory, so they see each switch.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileProjection", "write_payload", "DATA_DIR", "PayloadError"]

DATA_DIR = "..data"
_NEW_DATA_DIR = "..data_tmp"


@dataclass(frozen=True)
class FileProjection:
    data: bytes
    mode: int


class PayloadError(ValueError):
    """A path no volume file may have (absolute, with `..`, starting with `..`)."""


def _validate(payload: dict[str, FileProjection]) -> dict[str, FileProjection]:
    clean = {}
    for path, proj in payload.items():
        norm = os.path.normpath(path)
        if os.path.isabs(path) or norm.startswith("..") or ".." in Path(path).parts or not path:
            raise PayloadError(f"invalid path: {path!r}")
        clean[norm] = proj
    return clean


def _current(target: Path) -> Path | None:
    try:
        return target / os.readlink(target / DATA_DIR)
    except (FileNotFoundError, OSError):
        return None


def _unchanged(payload: dict[str, FileProjection], old: Path) -> bool:
    for path, proj in payload.items():
        f = old / path
        try:
            if f.read_bytes() != proj.data or (f.stat().st_mode & 0o7777) != proj.mode:
                return False
        except OSError:
            return False
    return True


def _old_paths(old: Path) -> set[str]:
    return {str(p.relative_to(old)) for p in old.rglob("*")}


def _with_parents(payload: dict[str, FileProjection]) -> set[str]:
    keep = set()
    for path in payload:
        parts = Path(path).parts
        keep.update(str(Path(*parts[:i])) for i in range(1, len(parts) + 1))
    return keep


def _write_dir(payload: dict[str, FileProjection], ts_dir: Path) -> None:
    for path, proj in payload.items():
        f = ts_dir / path
        f.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        f.write_bytes(proj.data)
        os.chmod(f, proj.mode)  # not subject to the umask, as the kubelet's chmod after the write


def write_payload(target: Path, payload: dict[str, FileProjection]) -> bool:
    """Make `target` hold exactly `payload`; False when it already did (nothing written)."""
    payload = _validate(payload)
    target.mkdir(mode=0o755, parents=True, exist_ok=True)
    old = _current(target)
    old_paths = _old_paths(old) if old is not None else set()
    if old is not None and old_paths == _with_parents(payload) and _unchanged(payload, old):
        return False
    removed = old_paths - _with_parents(payload)
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    ts_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=target))
    os.chmod(ts_dir, 0o755)
    _write_dir(payload, ts_dir)
    tmp_link = target / _NEW_DATA_DIR
    tmp_link.unlink(missing_ok=True)
    os.symlink(ts_dir.name, tmp_link)
    os.rename(tmp_link, target / DATA_DIR)
    for top in {Path(p).parts[0] for p in payload}:
        link = target / top
        if not link.is_symlink():
            os.symlink(os.path.join(DATA_DIR, top), link)
    for top in {Path(p).parts[0] for p in removed} - {Path(p).parts[0] for p in payload}:
        (target / top).unlink(missing_ok=True)
    if old is not None and old.name != ts_dir.name:
        shutil.rmtree(old, ignore_errors=True)
    return True
