"""Which fields Kubernetes always writes: ``python -m kubelab.api.presencegen`` builds presence.py.

Kubernetes writes its objects with Go's encoding/json. A field is left out of the JSON only when its
tag says ``omitempty`` *and* its value is empty; structs are never empty (``resources: {}``,
``lastState: {}``), and a zero ``metav1.Time`` is written as ``null`` (``lastProbeTime: null``). So
``ready: false`` and ``restartCount: 0`` are always there, while ``started`` (``*bool,omitempty``) is
there only when set. Protobuf's JSON printer drops every zero scalar instead; presence.py is the
table that puts back what Kubernetes writes.

Two steps, because the upstream sources are not part of this repository:

* ``--extract K8S_API_DIR APIMACHINERY_DIR`` reads the Go structs of the kinds kubelab serves from a
  checkout of kubernetes/api and kubernetes/apimachinery and writes presence_tags.txt (committed):
  one line per field, ``<struct> <json name> <Go type> [omitempty]``, and ``type <name> <underlying>``
  for named non-struct types.
* without arguments, reads presence_tags.txt and the proto descriptors and writes presence.py: for
  each Go struct, the JSON fields kubelab models and what to write for each when the message leaves
  it out. Regenerate after changing a proto; tests/unit/test_presence.py checks it is current.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAGS = HERE / "presence_tags.txt"
OUT = HERE / "presence.py"

# Go package import paths, as the short names used in presence_tags.txt.
_PACKAGES = {
    "k8s.io/api/core/v1": "core/v1", "k8s.io/api/apps/v1": "apps/v1", "k8s.io/api/storage/v1": "storage/v1",
    "k8s.io/api/discovery/v1": "discovery/v1", "k8s.io/api/coordination/v1": "coordination/v1",
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta/v1", "k8s.io/apimachinery/pkg/types": "types",
    "k8s.io/apimachinery/pkg/util/intstr": "intstr", "k8s.io/apimachinery/pkg/api/resource": "resource",
    "k8s.io/apimachinery/pkg/runtime": "runtime",
}
_SOURCES = {"core/v1": "core/v1/types.go", "apps/v1": "apps/v1/types.go", "storage/v1": "storage/v1/types.go",
            "discovery/v1": "discovery/v1/types.go", "coordination/v1": "coordination/v1/types.go"}
_META_SOURCE = "pkg/apis/meta/v1/types.go"
_GROUPS = {"": "core/v1", "apps": "apps/v1", "storage.k8s.io": "storage/v1",
           "discovery.k8s.io": "discovery/v1", "coordination.k8s.io": "coordination/v1"}
_BUILTIN = {"string", "bool", "int", "int32", "int64", "uint32", "uint64", "float32", "float64", "byte"}
# Structs with their own MarshalJSON: what a zero value is written as.
_SPECIAL_ZERO = {"meta/v1.Time": None, "meta/v1.MicroTime": None, "runtime.RawExtension": None,
                 "intstr.IntOrString": 0, "resource.Quantity": "0"}
_SCALAR_NAMED = {"types.UID"}


# --- extraction (needs upstream checkouts) ---------------------------------------------------------

_STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.M | re.S)
_NAMED = re.compile(r"^type (\w+) ([^{\s][^\n]*)$", re.M)
_FIELD = re.compile(r"^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")
_IMPORT = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"', re.M)
_IDENT = re.compile(r"[A-Za-z_][\w./]*")


def _imports(src: str) -> dict[str, str]:
    block = re.search(r"^import \((.*?)^\)", src, re.M | re.S)
    out = {}
    for alias, path in _IMPORT.findall(block.group(1) if block else ""):
        if path in _PACKAGES:
            out[alias or path.rsplit("/", 1)[-1]] = _PACKAGES[path]
    return out


def _qualify(gotype: str, pkg: str, imports: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        name = m.group(0)
        if "." in name:
            alias, rest = name.split(".", 1)
            return f"{imports.get(alias, alias)}.{rest}"
        return name if name in _BUILTIN or name == "map" else f"{pkg}.{name}"
    return _IDENT.sub(one, gotype)


def parse_go(src: str, pkg: str) -> tuple[dict[str, list[tuple[str, str, bool]]], dict[str, str]]:
    """The structs (name -> [(json name or ",inline", type, omitempty)]) and named types of a file."""
    imports = _imports(src)
    structs: dict[str, list[tuple[str, str, bool]]] = {}
    for name, body in _STRUCT.findall(src):
        fields = []
        for line in body.splitlines():
            line = line.strip()
            m = _FIELD.match(line) if line and not line.startswith("//") else None
            if m is None:
                continue
            tag = re.search(r'json:"([^"]*)"', m.group(3))
            if tag is None or tag.group(1) == "-":
                continue
            json_name, *opts = tag.group(1).split(",")
            gotype = _qualify(m.group(2), pkg, imports)
            if m.group(1) is None and not json_name:  # embedded: encoding/json promotes its fields
                fields.append((",inline", gotype, False))
            else:
                fields.append((json_name or m.group(1) or "", gotype, "omitempty" in opts))
        structs[f"{pkg}.{name}"] = fields
    named = {f"{pkg}.{n}": _qualify(t.strip(), pkg, imports) for n, t in _NAMED.findall(src)
             if not t.startswith(("struct", "interface", "func", "="))}
    return structs, named


def extract(api_dir: Path, machinery_dir: Path, roots: list[str]) -> str:
    """presence_tags.txt: the fields of every struct reachable from the roots."""
    structs: dict[str, list[tuple[str, str, bool]]] = {}
    named: dict[str, str] = {}
    sources = [(api_dir / path, pkg) for pkg, path in _SOURCES.items()]
    sources.append((machinery_dir / _META_SOURCE, "meta/v1"))
    for path, pkg in sources:
        s, n = parse_go(path.read_text(), pkg)
        structs.update(s)
        named.update(n)
    seen: list[str] = []
    used_named: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop(0)
        if name in seen or name not in structs:
            continue
        seen.append(name)
        for _, gotype, _ in structs[name]:
            for ident in _IDENT.findall(gotype):
                if ident in structs:
                    todo.append(ident)
                elif ident in named:
                    used_named.add(ident)
                    todo.extend(i for i in _IDENT.findall(named[ident]) if i in structs)
    lines = []
    for name in sorted(used_named):
        lines.append(f"type {name} {named[name]}")
    for name in sorted(seen):
        for json_name, gotype, omitempty in structs[name]:
            lines.append(f"{name} {json_name} {gotype}" + (" omitempty" if omitempty else ""))
    return "\n".join(lines) + "\n"


# --- generation (offline: presence_tags.txt + the protos) ------------------------------------------

def read_tags(text: str) -> tuple[dict[str, list[tuple[str, str, bool]]], dict[str, str]]:
    structs: dict[str, list[tuple[str, str, bool]]] = {}
    named: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if parts[0] == "type":
            named[parts[1]] = parts[2]
        else:
            structs.setdefault(parts[0], []).append((parts[1], parts[2], parts[3:] == ["omitempty"]))
    return structs, named


def _shape(gotype: str, named: dict[str, str], structs: dict) -> tuple[str, str | None]:
    """(kind, element struct): kind is pointer, slice, map, struct, special or scalar."""
    if gotype.startswith("*"):
        return "pointer", _element(gotype[1:], named, structs)
    if gotype.startswith("[]"):
        return "slice", _element(gotype[2:], named, structs)
    if gotype.startswith("map["):
        return "map", _element(gotype[gotype.index("]") + 1:], named, structs)
    if gotype in _SPECIAL_ZERO:
        return "special", None
    if gotype in structs:
        return "struct", gotype
    if gotype in named:
        return _shape(named[gotype], named, structs)
    if gotype in _BUILTIN or gotype in _SCALAR_NAMED:
        return "scalar", None
    return "unknown", None


def _element(gotype: str, named: dict[str, str], structs: dict) -> str | None:
    kind, child = _shape(gotype, named, structs)
    return child if kind in ("struct", "pointer", "slice", "map") else None


def _zero(field) -> object:
    from google.protobuf.descriptor import FieldDescriptor as F
    if field.type == F.TYPE_BOOL:
        return False
    if field.type == F.TYPE_STRING:
        return ""
    if field.type == F.TYPE_MESSAGE:
        raise ValueError(f"{field.full_name}: a message where Kubernetes has a scalar")
    return 0


def build(tags: str) -> tuple[dict, dict, dict, list[str]]:
    """(ROOTS, FIELDS, UNMODELLED, unset-vs-zero) from the tags and the kinds' proto messages.

    The last lists the ``*scalar,omitempty`` fields whose proto field cannot tell unset from zero
    (it should be ``optional``): Kubernetes writes ``started: false`` but leaves out an unset one."""
    from kubelab.api.registry import KINDS
    structs, named = read_tags(tags)

    def fields_of(name: str) -> list[tuple[str, str, bool]]:
        out = []
        for json_name, gotype, omitempty in structs.get(name, []):
            if json_name == ",inline":
                if gotype != "meta/v1.TypeMeta":
                    out.extend(fields_of(gotype))
            else:
                out.append((json_name, gotype, omitempty))
        return out

    roots = {k.kind: f"{_GROUPS[k.group]}.{k.kind}" for k in KINDS}
    table: dict[str, dict[str, tuple]] = {}
    unmodelled: dict[str, list[str]] = {}
    no_presence: list[str] = []
    todo = [(roots[k.kind], k.message.DESCRIPTOR) for k in KINDS]
    while todo:
        name, desc = todo.pop(0)
        if name in table:
            continue
        entry = table[name] = {}
        by_json = {f.json_name: f for f in desc.fields}
        for json_name, gotype, omitempty in fields_of(name):
            field = by_json.get(json_name)
            kind, child = _shape(gotype, named, structs)
            always = kind in ("struct", "special") or not omitempty
            if field is not None and kind == "unknown":
                raise ValueError(f"presence_tags.txt does not say what Go type {gotype} ({name}.{json_name}) is")
            if field is None:
                if always:
                    unmodelled.setdefault(name, []).append(json_name)
                continue
            if (gotype.startswith("*") and kind == "pointer" and _shape(gotype[1:], named, structs)[0] == "scalar"
                    and omitempty and not field.has_presence):
                no_presence.append(f"{name}.{json_name}")
            if child is not None and field.message_type is not None:
                mt = field.message_type
                if mt.GetOptions().map_entry:
                    mt = mt.fields_by_name["value"].message_type
                if mt is not None and not mt.full_name.startswith("google.protobuf."):
                    todo.append((child, mt))
                else:
                    child = None
            else:
                child = None
            shape = {"slice": "list", "map": "map"}.get(kind, "one")
            if kind == "struct" and field.message_type is None:
                raise ValueError(f"{name}.{json_name} is a struct upstream, {field.full_name} is not a message")
            if kind == "struct":
                entry[json_name] = ("object", None, child, shape)
            elif kind == "special":
                entry[json_name] = ("value", _SPECIAL_ZERO[gotype], None, shape)
            elif always and kind == "scalar":
                entry[json_name] = ("value", _zero(field), None, shape)
            elif always:
                entry[json_name] = ("value", None, child, shape)
            elif child is not None:
                entry[json_name] = ("nested", None, child, shape)
    return roots, _prune(table), dict(sorted(unmodelled.items())), no_presence


def _prune(table: dict[str, dict[str, tuple]]) -> dict[str, dict[str, tuple]]:
    """Drop what writes nothing: `nested` fields whose struct has nothing to fill, empty structs."""
    changed = True
    while changed:
        changed = False
        for entry in table.values():
            for json_name, (rule, zero, child, shape) in list(entry.items()):
                if child is not None and not table.get(child):
                    changed = True
                    if rule == "nested":
                        del entry[json_name]
                    else:
                        entry[json_name] = (rule, zero, None, shape)
    return {k: v for k, v in sorted(table.items()) if v}


def render(tags: str) -> str:
    roots, fields, unmodelled, _ = build(tags)
    lines = ['"""Generated by kubelab.api.presencegen from presence_tags.txt; do not edit.',
             "",
             "FIELDS[go struct][json name] = (rule, zero, child struct, shape): rule `value` writes `zero`",
             "when the field is missing, `object` writes {} (and fills it), `nested` writes nothing; a",
             "child struct is filled in turn (shape: one, list, or map of them). UNMODELLED: fields",
             'Kubernetes always writes that the protos do not have.', '"""', "", "ROOTS = {"]
    lines += [f"    {k!r}: {v!r}," for k, v in sorted(roots.items())]
    lines += ["}", "", "FIELDS = {"]
    for struct, entry in fields.items():
        lines.append(f"    {struct!r}: {{")
        lines += [f"        {k!r}: {v!r}," for k, v in sorted(entry.items())]
        lines.append("    },")
    lines += ["}", "", "UNMODELLED = {"]
    lines += [f"    {k!r}: {v!r}," for k, v in unmodelled.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--extract"] and len(argv) == 3:
        from kubelab.api.registry import KINDS
        roots = [f"{_GROUPS[k.group]}.{k.kind}" for k in KINDS]
        header = ("# Go struct fields (json name, type, omitempty) of the kinds kubelab serves, from\n"
                  "# kubernetes/api and kubernetes/apimachinery; `python -m kubelab.api.presencegen --extract`.\n")
        TAGS.write_text(header + extract(Path(argv[1]), Path(argv[2]), roots))
        print(TAGS.name)
        return 0
    if argv:
        print("usage: python -m kubelab.api.presencegen [--extract K8S_API_DIR APIMACHINERY_DIR]", file=sys.stderr)
        return 2
    OUT.write_text(render(TAGS.read_text()))
    print(OUT.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
