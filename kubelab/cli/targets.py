"""What a verb's arguments name: `pods`, `pods a b`, `pod/a svc/b`, `pods,pvc`, `all`.

kubectl's resource builder rules (ResourceTypeOrNameArgs): either `TYPE[,TYPE...] [NAME...]` or
only `TYPE/NAME` arguments; an unknown type is `the server doesn't have a resource type "foo"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.api import registry
from kubelab.api.registry import KindInfo
from kubelab.cli.session import CliError

__all__ = ["Target", "parse_targets", "resolve_kind", "kind_prefix", "list_namespace", "multiple_types", "ALL_KINDS"]

#: What `get all` lists, in kubectl's order (the "all" category).
ALL_KINDS = ("Pod", "Service", "Deployment", "ReplicaSet", "StatefulSet")


@dataclass
class Target:
    info: KindInfo
    names: list[str] = field(default_factory=list)
    resource_version: str = ""  # where a fetch of it ended, for a watch to start from


def resolve_kind(name: str) -> KindInfo:
    try:
        return registry.lookup(name)
    except registry.UnknownKind:
        raise CliError(f'error: the server doesn\'t have a resource type "{name}"') from None


def list_namespace(ctx, info: KindInfo) -> str:
    """The namespace to list a kind in: "" (all) for -A and for cluster-scoped kinds, else -n/default."""
    return "" if ctx.all_namespaces or not info.namespaced else ctx.namespace


def kind_prefix(info: KindInfo) -> str:
    """`deployment.apps` in `deployment.apps/web`: the singular resource and its group."""
    return f"{info.singular}.{info.group}" if info.group else info.singular


def _merge(targets: list[Target], info: KindInfo, name: str | None) -> None:
    for t in targets:
        if t.info is info:
            if name is not None:
                t.names.append(name)
            return
    targets.append(Target(info, [name] if name is not None else []))


def parse_targets(args: list[str], verb: str = "get") -> list[Target]:
    """Resource arguments as (kind, names) targets, in the order given."""
    if not args:
        raise CliError("error: Required resource not specified.\n"
                       f"See 'kubelab {verb} -h' for help and examples")
    slashed = [a for a in args if "/" in a]
    targets: list[Target] = []
    if slashed:
        if len(slashed) != len(args):
            raise CliError("error: there is no need to specify a resource type as a separate argument when "
                           "passing arguments in resource/name form (e.g. 'kubelab get resource/<resource_name>' "
                           "instead of 'kubelab get resource resource/<resource_name>'")
        for arg in args:
            kind, _, name = arg.partition("/")
            if not name or "/" in name:
                raise CliError("error: arguments in resource/name form may not have more than one slash")
            _merge(targets, resolve_kind(kind), name)
        return targets
    kinds, names = args[0], args[1:]
    for kind in kinds.split(","):
        if kind == "all":
            for k in ALL_KINDS:
                _merge(targets, registry.by_kind(k), None)
        elif kind:
            _merge(targets, resolve_kind(kind), None)
    if names and len(targets) > 1:
        raise CliError("error: you may only specify a single resource type")
    for name in names:
        targets[0].names.append(name)
    return targets


def multiple_types(args: list[str]) -> bool:
    """MultipleTypesRequested: whether rows should name their kind (`pod/web-0`)."""
    if not args:
        return False
    if any("/" in a for a in args):
        return len({a.split("/", 1)[0] for a in args}) > 1
    kinds = args[0].split(",")
    return "all" in kinds or len(set(kinds)) > 1
