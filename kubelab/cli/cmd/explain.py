"""kubelab api-resources and kubelab explain, as kubectl's (pkg/cmd/apiresources/apiresources.go,
pkg/cmd/explain and pkg/explain/v2 templates).

    kubelab api-resources [--namespaced=true|false] [-o name|wide] [--no-headers]
    kubelab explain KIND[.field.path...] [--recursive]

api-resources lists the kind registry (kubelab.api.registry), sorted by group then name as kubectl
sorts. explain walks the generated protobuf descriptors, so it knows every field's JSON name and
type; the descriptions are the comments of the .proto sources (protos/kubelab/v1) where they have
one, else `<empty>`, which is what kubectl prints for a field without a description.
"""

from __future__ import annotations

import argparse
import re
from functools import lru_cache
from pathlib import Path

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from kubelab.api import registry
from kubelab.cli import flags
from kubelab.cli.render.tabwriter import table_writer
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import resolve_kind

__all__ = ["register", "cmd_api_resources", "cmd_explain", "field_type", "resolve_path"]

PROTOS = Path(__file__).resolve().parents[3] / "protos" / "kubelab" / "v1"
_SCALARS = {FieldDescriptor.TYPE_STRING: "string", FieldDescriptor.TYPE_BOOL: "boolean",
            FieldDescriptor.TYPE_BYTES: "string", FieldDescriptor.TYPE_DOUBLE: "number",
            FieldDescriptor.TYPE_FLOAT: "number", FieldDescriptor.TYPE_ENUM: "string"}
_AS_STRING = {"google.protobuf.Timestamp", "kubelab.v1.Quantity"}


async def cmd_api_resources(ctx: Session) -> int:
    a = ctx.args
    kinds = sorted(registry.KINDS, key=lambda k: (k.group, k.plural))
    if a.namespaced is not None:
        kinds = [k for k in kinds if k.namespaced == (a.namespaced == "true")]
    if a.output == "name":
        ctx.out("".join(f"{k.resource}\n" for k in kinds))
        return 0
    rows = [] if a.no_headers else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    rows += [[k.plural, ",".join(k.short_names), k.api_version, str(k.namespaced).lower(), k.kind] for k in kinds]
    ctx.out(table_writer().format("".join("\t".join(r) + "\n" for r in rows)))
    return 0


def field_type(f: FieldDescriptor) -> str:
    """The type kubectl explain shows: `string`, `[]Container`, `map[string]string`, `Object`."""
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        mt = f.message_type
        if mt.GetOptions().map_entry:
            return f"map[string]{field_type(mt.fields_by_name['value'])}"
        name = "string" if mt.full_name in _AS_STRING else mt.name
    else:
        name = _SCALARS.get(f.type, "integer")
    return f"[]{name}" if f.label == FieldDescriptor.LABEL_REPEATED else name


@lru_cache(maxsize=None)
def _comments() -> dict[tuple[str, str], str]:
    """(message name, field name) -> the field's comment in the .proto sources."""
    docs: dict[tuple[str, str], str] = {}
    field = re.compile(r"^\s*(?:repeated\s+|optional\s+)?(?:map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+[^;]*;"
                       r"\s*(?://\s*(.*))?$")
    for path in sorted(PROTOS.glob("*.proto")) if PROTOS.is_dir() else []:
        stack, pending = [], []
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith("//"):
                pending.append(stripped[2:].strip())
                continue
            if m := re.match(r"^(message|oneof)\s+(\w+)\s*\{", stripped):
                stack.append(m.group(2) if m.group(1) == "message" else stack[-1] if stack else "")
            elif stripped.startswith("}") and stack:
                stack.pop()
            elif (m := field.match(line)) and stack:
                text = " ".join(pending + ([m.group(2)] if m.group(2) else []))
                if text:
                    docs[(stack[-1], m.group(1))] = text
            pending = []
    return docs


def _doc(message: Descriptor, f: FieldDescriptor) -> str:
    return _comments().get((message.name, f.name), "")


def resolve_path(desc: Descriptor, path: list[str]) -> tuple[Descriptor, FieldDescriptor | None]:
    """The message and field a dotted path names; kubectl's error for a field that does not exist."""
    field = None
    for part in path:
        by_json = {f.json_name: f for f in desc.fields}
        field = by_json.get(part)
        if field is None:
            raise CliError(f'error: field "{part}" does not exist')
        if field.type == FieldDescriptor.TYPE_MESSAGE and not field.message_type.GetOptions().map_entry:
            desc = field.message_type
        elif part != path[-1]:
            raise CliError(f'error: field "{path[path.index(part) + 1]}" does not exist')
    return desc, field


def _fields(desc: Descriptor, indent: str, recursive: bool, seen: tuple[str, ...] = ()) -> list[str]:
    lines = []
    for f in desc.fields:
        lines.append(f"{indent}{f.json_name}\t<{field_type(f)}>")
        nested = f.message_type if f.type == FieldDescriptor.TYPE_MESSAGE else None
        if recursive:
            if nested and not nested.GetOptions().map_entry and nested.full_name not in _AS_STRING \
                    and nested.full_name not in seen:
                lines += _fields(nested, indent + "  ", True, seen + (nested.full_name,))
            continue
        lines.append(f"{indent}  {_doc(desc, f) or '<empty>'}")
        lines.append("")
    return lines


async def cmd_explain(ctx: Session) -> int:
    a = ctx.args
    kind_name, *path = a.resource.split(".")
    info = resolve_kind(kind_name)
    desc, field = resolve_path(info.message.DESCRIPTOR, path)
    out = [f"GROUP:      {info.group}"] if info.group else []
    out += [f"KIND:       {info.kind}", f"VERSION:    {info.version}", ""]
    if field is not None:
        parent = resolve_path(info.message.DESCRIPTOR, path[:-1])[0]
        out += [f"FIELD: {field.json_name} <{field_type(field)}>", "", "DESCRIPTION:",
                f"    {_doc(parent, field) or '<empty>'}", ""]
    else:
        out += ["DESCRIPTION:", "    <empty>", ""]
    if field is None or field.type == FieldDescriptor.TYPE_MESSAGE and desc is not None and \
            not field.message_type.GetOptions().map_entry and field.message_type.full_name not in _AS_STRING:
        out += ["FIELDS:"] + _fields(desc, "  ", a.recursive)
    ctx.out("\n".join(out).rstrip("\n") + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("api-resources", help="list the kinds the API server serves")
    p.add_argument("--namespaced", choices=("true", "false"), help="only namespaced (true) or cluster-scoped kinds")
    p.add_argument("-o", "--output", choices=("name", "wide"), help="name: only the resource names")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=flags.local(cmd_api_resources))

    p = subparsers.add_parser("explain", help="the fields of a kind, with their types (like kubectl explain)")
    p.add_argument("resource", metavar="KIND[.FIELD...]", help="e.g. pods.spec.containers")
    p.add_argument("--recursive", action="store_true", help="every nested field, without descriptions")
    p.set_defaults(func=flags.local(cmd_explain))
