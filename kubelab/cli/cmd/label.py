"""kubelab label / annotate / taint, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/label/label.go,
annotate/annotate.go, taint/taint.go and taint/utils.go).

    kubelab label KIND NAME... | KIND/NAME... | KIND -l SEL | KIND --all  KEY=VAL... KEY-... [--overwrite]
    kubelab annotate (same arguments)                                       pod/web-0 annotated
    kubelab taint node NAME... KEY[=VAL]:EFFECT... KEY[:EFFECT]-... [--overwrite]   node/node-2 tainted

Each object is read, changed, and written back as a JSON merge patch (what kubectl sends for label and
annotate); taints carry the node's resourceVersion, so a concurrent change is retried, not lost.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.cli import flags
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError, is_conflict
from kubelab.manifest import to_dict
from kubelab.validation_names import is_valid_label_value

__all__ = ["register", "split_args", "parse_pairs", "parse_taints", "apply_pairs", "apply_taints",
           "TAINT_EFFECTS"]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CONFLICT_RETRIES = 5


@dataclass(frozen=True)
class Field:
    """What label and annotate differ in: the metadata field, and kubectl's words."""
    attr: str  # "labels" | "annotations"
    noun: str  # "label" | "annotation"
    done: str  # "labeled" | "annotated"


LABELS = Field("labels", "label", "labeled")
ANNOTATIONS = Field("annotations", "annotation", "annotated")


def split_args(args: list[str], is_change, noun: str) -> tuple[list[str], list[str]]:
    """getResourcesAndLabels: resources first, then the changes."""
    resources, changes = [], []
    for arg in args:
        if is_change(arg):
            changes.append(arg)
        elif changes:
            raise CliError(f"error: all resources must be specified before {noun} changes: {arg}")
        else:
            resources.append(arg)
    return resources, changes


def _is_pair(arg: str) -> bool:
    return "=" in arg or arg.endswith("-")


def parse_pairs(specs: list[str], field: Field) -> tuple[dict[str, str], list[str]]:
    """parseLabels / parseAnnotations: KEY=VAL to set, KEY- to remove."""
    add, remove = {}, []
    for spec in specs:
        if "=" in spec:
            key, _, value = spec.partition("=")
            if field is LABELS:
                if "=" in value:
                    raise CliError(f"error: invalid label spec: {spec}")
                if errs := is_valid_label_value(value):
                    raise CliError(f'error: invalid label value: "{spec}": {";".join(errs)}')
            add[key] = value
        elif spec.endswith("-"):
            remove.append(spec[:-1])
        else:
            raise CliError(f"error: unknown {field.noun} spec: {spec}")
    if any(key in add for key in remove):
        raise CliError(f"error: can not both modify and remove {'a label' if field is LABELS else 'an annotation'} "
                       "in the same command")
    return add, remove


def apply_pairs(current: dict[str, str], add: dict[str, str], remove: list[str], overwrite: bool) -> dict[str, str]:
    """labelFunc: the new map; without --overwrite a key that has a value already is an error."""
    if not overwrite:
        errs = [f"'{k}' already has a value ({current[k]}), and --overwrite is false" for k in add if k in current]
        if errs:
            raise CliError("error: " + (errs[0] if len(errs) == 1 else f"[{', '.join(errs)}]"))
    result = {**current, **add}
    for key in remove:
        result.pop(key, None)
    return result


async def _objects(ctx: Session, resources: list[str], verb: str) -> list[Message]:
    from kubelab.cli.listing import fetch

    a = ctx.args
    targets = parse_targets(resources, verb)
    selector = getattr(a, "selector", "") or ""
    found: list[Message] = []
    for t in targets:
        if not t.names and not selector and not getattr(a, "all", False):
            raise CliError("error: resource(s) were provided, but no name was specified")
        if t.names and (selector or getattr(a, "all", False)):
            raise CliError("error: name cannot be provided when a selector is specified" if selector else
                           "error: setting 'all' parameter but found a non empty resource name")
        found += await fetch(ctx, t, label_selector=selector)
    return found


async def _change_metadata(ctx: Session, field: Field) -> int:
    a = ctx.args
    resources, specs = split_args(a.args, _is_pair, field.noun)
    add, remove = parse_pairs(specs, field)
    if not add and not remove:
        raise CliError(f"error: at least one {field.noun} update is required")
    for obj in await _objects(ctx, resources, field.noun):
        current = dict(getattr(obj.metadata, field.attr))
        if field is LABELS:
            for key in remove:
                if key not in current:
                    ctx.out(f'label "{key}" not found.\n')
        try:
            new = apply_pairs(current, add, remove, a.overwrite)
        except CliError as e:
            ctx.error(str(e))
            continue
        msg = _change_word(current, new, field, a.overwrite)
        if new != current:
            patch = {k: v for k, v in new.items() if current.get(k) != v}
            patch.update({k: None for k in current if k not in new})
            await ctx.client.patch(registry.kind_of(obj), obj.metadata.name, {"metadata": {field.attr: patch}},
                                   obj.metadata.namespace)
        ctx.out(f"{_prefix(obj)}/{obj.metadata.name} {msg}\n")
    return ctx.status()


def _change_word(old: dict, new: dict, field: Field, overwrite: bool) -> str:
    """updateDataChangeMsg: `labeled`, `not labeled`, or `unlabeled` when keys only went away."""
    if field is ANNOTATIONS:
        return field.done
    if old == new:
        return "not labeled"
    return "unlabeled" if not overwrite and len(new) < len(old) else "labeled"


def _prefix(obj: Message) -> str:
    return kind_prefix(registry.kind_of(obj))


async def cmd_label(ctx: Session) -> int:
    return await _change_metadata(ctx, LABELS)


async def cmd_annotate(ctx: Session) -> int:
    return await _change_metadata(ctx, ANNOTATIONS)


# ---- taint ----

def _is_taint(arg: str) -> bool:
    return "=" in arg or ":" in arg or arg.endswith("-")


def _taint_text(t: core_pb2.Taint) -> str:
    """Taint.ToString: key[=value]:effect."""
    value = f"={t.value}" if t.value else ""
    return f"{t.key}{value}:{t.effect}" if t.effect else f"{t.key}{value}"


def parse_taints(specs: list[str]) -> tuple[list[core_pb2.Taint], list[core_pb2.Taint]]:
    """ParseTaints: KEY[=VAL]:EFFECT to add, KEY[:EFFECT]- to remove."""
    add, remove = [], []
    for spec in specs:
        if spec.endswith("-"):
            key, _, effect = spec[:-1].partition(":")
            if effect and effect not in TAINT_EFFECTS:
                raise CliError(f"error: invalid taint effect: {effect}, unsupported taint effect")
            remove.append(core_pb2.Taint(key=key, effect=effect))
            continue
        body, sep, effect = spec.rpartition(":")
        if not sep or not body:
            raise CliError(f"error: invalid taint spec: {spec}")
        if effect not in TAINT_EFFECTS:
            raise CliError(f"error: invalid taint effect: {effect}, unsupported taint effect")
        key, _, value = body.partition("=")
        if any(t.key == key and t.effect == effect for t in add):
            raise CliError("error: duplicated taints with the same key and effect: "
                           f"{[_taint_text(core_pb2.Taint(key=key, value=value, effect=effect))]}")
        add.append(core_pb2.Taint(key=key, value=value, effect=effect))
    for r in remove:
        if any(a.key == r.key and (not r.effect or a.effect == r.effect) for a in add):
            raise CliError("error: can not both modify and remove the following taint(s) in the same command: "
                           f"{r.key}")
    return add, remove


def apply_taints(node: core_pb2.Node, add: list[core_pb2.Taint], remove: list[core_pb2.Taint],
                 overwrite: bool) -> tuple[str, list[core_pb2.Taint]]:
    """reorganizeTaints: (tainted|untainted|modified, the node's new taints: the added ones first)."""
    current = list(node.spec.taints)
    if not overwrite:
        same = [t.key for t in add for c in current if c.key == t.key and c.effect == t.effect]
        if same:
            raise CliError(f"error: node {node.metadata.name} already has {','.join(same)} taint(s) with same "
                           "effect(s) and --overwrite is false")
    taints = add + [c for c in current if not any(c.key == t.key and c.effect == t.effect for t in add)]
    added = len(taints) != len(current)
    for r in remove:
        left = [c for c in taints if not (c.key == r.key and (not r.effect or c.effect == r.effect))]
        if len(left) == len(taints):
            raise CliError(f'error: taint "{_taint_text(r)}" not found')
        taints = left
    if (added and remove) or overwrite:
        return "modified", taints
    return ("tainted" if added else "untainted"), taints


async def cmd_taint(ctx: Session) -> int:
    a = ctx.args
    resources, specs = split_args(a.args, _is_taint, "taint")
    if not resources or resources[0].split("/")[0] not in ("node", "nodes", "no"):
        raise CliError("error: at least one resource name must be specified since 'all' parameter is not set"
                       if not resources else f'error: invalid resource type {resources[0]}, only node types '
                       "are supported")
    add, remove = parse_taints(specs)
    if not add and not remove:
        raise CliError("error: at least one taint update is required")
    for node in await _objects(ctx, resources, "taint"):
        for attempt in range(CONFLICT_RETRIES):
            operation, taints = apply_taints(node, add, remove, a.overwrite)
            body = {"metadata": {"resourceVersion": node.metadata.resource_version},
                    "spec": {"taints": [to_dict(t) for t in taints] or None}}
            try:
                await ctx.client.patch("Node", node.metadata.name, body)
                break
            except ApiError as e:
                if not is_conflict(e) or attempt + 1 == CONFLICT_RETRIES:
                    raise
                node = await ctx.client.get("Node", node.metadata.name)
        ctx.out(f"node/{node.metadata.name} {operation}\n")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    for verb, fn, text in (("label", cmd_label, "update the labels of objects (like kubectl label)"),
                           ("annotate", cmd_annotate, "update the annotations of objects (like kubectl annotate)"),
                           ("taint", cmd_taint, "update the taints of nodes (like kubectl taint)")):
        p = subparsers.add_parser(verb, help=text)
        p.add_argument("args", nargs="*", metavar="KIND NAME... CHANGE...")
        flags.namespace(p)
        p.add_argument("-l", "--selector", default="", metavar="SEL", help="the objects matching this selector")
        p.add_argument("--all", action="store_true", help="every object of the kind in the namespace")
        p.add_argument("--overwrite", action="store_true", help="allow changing a key that already has a value")
        p.set_defaults(func=flags.verb(fn), intermixed="args")
