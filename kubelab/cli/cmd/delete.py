"""kubelab delete: `pod "x" deleted`, then (with --wait, the default) wait until the objects are gone.

--grace-period=0 without --force becomes 1 (kubectl's guard against data loss); --force alone means
grace 0 and prints kubectl's warning. --cascade maps to the propagation policy; its old boolean values
still work, with kubectl's deprecation warning.
"""

from __future__ import annotations

import argparse
import asyncio

from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.cli import flags
from kubelab.cli.cmd.apply import document_namespace, documents
from kubelab.cli.durations import parse_duration
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError, is_not_found

__all__ = ["register", "cmd_delete", "propagation_policy", "wait_gone"]

CASCADE = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}
#: What Go's strconv.ParseBool accepts, as kubectl reads a boolean --cascade.
_BOOLEANS = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
             **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False)}
FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
                 "terminated. The resource may continue to run on the cluster indefinitely.")


def propagation_policy(cascade: str) -> tuple[str, str | None]:
    """The propagation policy --cascade asks for, and the warning a (deprecated) boolean value earns."""
    if cascade in _BOOLEANS:
        mode = "background" if _BOOLEANS[cascade] else "orphan"
        return CASCADE[mode], (f"warning: --cascade={cascade} is deprecated (boolean value) and can be replaced "
                               f"with --cascade={mode}.")
    if cascade not in CASCADE:
        raise CliError(f'error: invalid cascade value ({cascade}). Must be "background", "foreground", '
                       'or "orphan".')
    return CASCADE[cascade], None


def _grace(ctx: Session) -> int | None:
    a = ctx.args
    grace = a.grace_period
    if grace == 0 and not a.force:
        grace = 1
    if a.force and grace < 0:
        grace = 0
    return None if grace < 0 else grace


async def _objects(ctx: Session) -> list[tuple[KindInfo, str, str]]:
    """(kind, namespace, name) of everything the arguments name."""
    a = ctx.args
    if a.filename:
        if a.resources:
            raise CliError("error: resource(s) were provided, but no name was specified")
        out = []
        for doc in documents(ctx, "delete"):
            if doc.error:
                ctx.error(doc.error)
                continue
            out.append((doc.info, document_namespace(ctx, doc), doc.name))
        return out
    targets = parse_targets(a.resources, "delete")
    out = []
    for t in targets:
        ns = "" if not t.info.namespaced else ("" if ctx.all_namespaces else ctx.namespace)
        if t.names:
            out += [(t.info, ns, name) for name in t.names]
        elif a.all or a.selector:
            objs, _ = await ctx.client.list(t.info, ns, label_selector=a.selector or "")
            out += [(t.info, o.metadata.namespace, o.metadata.name)
                    for o in sorted(objs, key=lambda o: (o.metadata.namespace, o.metadata.name))]
        else:
            raise CliError("error: resource(s) were provided, but no name was specified")
    return out


async def wait_gone(ctx: Session, info: KindInfo, ns: str, obj: Message) -> None:
    """Return once the object (this uid) no longer exists."""
    name, uid = obj.metadata.name, obj.metadata.uid
    while True:
        try:
            current = await ctx.client.get(info, name, ns)
        except ApiError as e:
            if is_not_found(e):
                return
            raise
        if current.metadata.uid != uid:
            return
        async for ev in ctx.client.watch(info, ns, field_selector=f"metadata.name={name}",
                                         resource_version=current.metadata.resource_version):
            if ev.type == "DELETED" or (ev.object is not None and ev.object.metadata.uid != uid):
                return


async def cmd_delete(ctx: Session) -> int:
    a = ctx.args
    policy, warning = propagation_policy(a.cascade)
    if warning:
        ctx.note(warning)
    grace = _grace(ctx)
    objects = await _objects(ctx)
    if a.force and grace == 0:
        ctx.note(FORCE_WARNING)
    if not objects and not ctx.failed:
        ctx.note("No resources found" if ctx.all_namespaces else f"No resources found in {ctx.namespace} namespace.")
    pending = []
    for info, ns, name in objects:
        try:
            obj, gone = await ctx.client.delete(info, name, ns, grace_period_seconds=grace, propagation_policy=policy)
        except ApiError as e:
            if is_not_found(e) and a.ignore_not_found:
                continue
            if not is_not_found(e):
                raise
            ctx.api_error(e)
            continue
        ctx.out(f'{kind_prefix(info)} "{name}" {"force deleted" if a.force and grace == 0 else "deleted"}\n')
        if not gone:
            pending.append((info, ns, obj))
    if a.wait and pending:
        timeout = parse_duration(a.timeout) or None
        try:
            await asyncio.wait_for(asyncio.gather(*(wait_gone(ctx, *p) for p in pending)), timeout)
        except asyncio.TimeoutError:
            names = ", ".join(f'{info.plural}/{obj.metadata.name}' for info, _, obj in pending)
            ctx.error(f"error: timed out waiting for the condition on {names}")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("delete", help="delete objects by name, selector or manifest")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    flags.files(p)
    flags.namespace(p, all_namespaces=True)
    flags.selector(p, "delete the objects matching this label selector")
    p.add_argument("--all", action="store_true", help="delete every object of the kind in the namespace")
    p.add_argument("--grace-period", type=int, default=-1, metavar="SECONDS",
                   help="seconds a pod gets to terminate (-1: its own; 0 needs --force)")
    p.add_argument("--force", action="store_true", help="remove immediately, without waiting for termination")
    p.add_argument("--cascade", default="background", metavar="MODE",
                   help="background (default), foreground or orphan")
    p.add_argument("--wait", type=flags.parse_bool, default=True, nargs="?", const=True, metavar="BOOL",
                   help="wait until the objects are gone (default true)")
    p.add_argument("--timeout", default="0s", metavar="DURATION", help="how long to wait (0: no limit)")
    p.add_argument("--ignore-not-found", action="store_true", help="a missing object is not an error")
    p.set_defaults(func=flags.verb(cmd_delete))
