"""kubelab rollout: status, history, undo and restart of a workload, pause and resume of a Deployment,
like kubectl rollout.

    kubelab rollout status  KIND NAME | KIND/NAME [-w=true] [--timeout 0s]
    kubelab rollout history KIND NAME | KIND/NAME [--revision N]
    kubelab rollout undo    KIND NAME | KIND/NAME [--to-revision N]
    kubelab rollout restart KIND NAME | KIND/NAME
    kubelab rollout pause|resume deployment/NAME

Each kind's knowledge lives in its own module of kubelab.cli.rollout, listed in its KINDS.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from kubelab.cli import flags

__all__ = ["register", "RESTARTED_AT"]

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def _deployment(name: str):
    """A verb only Deployments have (pause, resume), from kubelab.cli.rollout.deployment."""
    async def verb(ctx) -> int:
        from kubelab.cli.rollout import deployment

        return await getattr(deployment, name)(ctx)
    return verb


def register(subparsers: argparse._SubParsersAction) -> None:
    rollout = subparsers.add_parser("rollout", help="manage the rollout of a Deployment or a StatefulSet (status, "
                                    "history, undo, restart; pause, resume: Deployments)",
                                    description="Manage the rollout of a Deployment or a StatefulSet: status, "
                                    "history, undo and restart for both kinds; pause and resume for Deployments.")
    verbs = rollout.add_subparsers(dest="rollout_verb", metavar="VERB", required=True)

    p = verbs.add_parser("status", help="show the status of the rollout, waiting until it is done")
    flags.target(p)
    p.add_argument("-w", "--watch", type=flags.parse_bool, default=True, nargs="?", const=True, metavar="BOOL",
                   help="watch the status until the rollout is done (default true)")
    p.add_argument("--timeout", default="0s", metavar="DURATION", help="how long to wait (0: no limit)")
    p.set_defaults(func=flags.verb(cmd_status))

    p = verbs.add_parser("history", help="list the revisions (ControllerRevisions) of the rollout")
    flags.target(p)
    p.add_argument("--revision", type=int, default=0, metavar="N", help="show this revision's pod template")
    p.set_defaults(func=flags.verb(cmd_history))

    p = verbs.add_parser("undo", help="roll back to the previous (or a given) revision")
    flags.target(p)
    p.add_argument("--to-revision", type=int, default=0, metavar="N", help="the revision (0: the previous one)")
    p.set_defaults(func=flags.verb(cmd_undo))

    p = verbs.add_parser("restart", help="replace every pod, by changing the template's restartedAt annotation")
    flags.target(p)
    p.set_defaults(func=flags.verb(cmd_restart))

    for verb, name, text in (("pause", "pause", "stop rolling out template changes (Deployments)"),
                             ("resume", "resume", "roll out template changes again (Deployments)")):
        p = verbs.add_parser(verb, help=text)
        flags.target(p)
        p.set_defaults(func=flags.verb(_deployment(name)))


async def _object(ctx, verb: str):
    """The one object named, and the module that knows its kind's rollouts."""
    from kubelab.cli.session import CliError
    from kubelab.cli.targets import parse_targets

    targets = parse_targets(ctx.args.resources, f"rollout {verb}")
    named = [(t.info, n) for t in targets for n in t.names]
    if not named:
        raise CliError("error: required resource not specified")
    if len(named) > 1 and verb == "status":
        raise CliError("error: rollout status is only supported on individual resources and resource "
                       "collections, but 2 resources were found")
    info, name = named[0]
    from kubelab.cli.rollout import KINDS

    module = KINDS.get(info.kind)
    if module is None:
        what = {"status": "status viewer", "history": "history viewer", "undo": "rollbacker",
                "restart": "restarter"}[verb]
        kind = f"{info.kind}.{info.group}" if info.group else info.kind
        raise CliError(f"error: no {what} has been implemented for {kind}")
    obj = await ctx.client.get(info, name, ctx.namespace)
    return info, obj, module


def _name(info, obj) -> str:
    from kubelab.cli.targets import kind_prefix
    return f"{kind_prefix(info)}/{obj.metadata.name}"


async def cmd_status(ctx) -> int:
    from kubelab.cli.durations import parse_duration
    from kubelab.cli.session import CliError
    from kubelab.errors import ApiError, is_gone

    info, obj, kind = await _object(ctx, "status")
    timeout = parse_duration(ctx.args.timeout)
    message, done = kind.status(obj)
    ctx.out(message)
    if done or not ctx.args.watch:
        return 0
    name, ns, rv = obj.metadata.name, obj.metadata.namespace, obj.metadata.resource_version
    try:
        async with asyncio.timeout(timeout or None):
            while not done:
                try:
                    async for ev in ctx.client.watch(info, ns, field_selector=f"metadata.name={name}",
                                                     resource_version=rv):
                        rv = ev.resource_version or rv
                        if ev.type == "DELETED":
                            raise CliError("error: object has been deleted")
                        if ev.object is None:
                            continue
                        message, done = _print_change(ctx, kind, ev.object, message)
                        if done:
                            break
                except ApiError as e:
                    if not is_gone(e):
                        raise
                    obj = await ctx.client.get(info, name, ns)
                    rv = obj.metadata.resource_version
                    message, done = _print_change(ctx, kind, obj, message)
    except TimeoutError:
        raise CliError("error: timed out waiting for the condition") from None
    return 0


def _print_change(ctx, kind, obj, last: str) -> tuple[str, bool]:
    message, done = kind.status(obj)
    if message != last:
        ctx.out(message)
    return message, done


async def cmd_history(ctx) -> int:
    info, obj, kind = await _object(ctx, "history")
    text = await kind.history(ctx, obj, ctx.args.revision)
    head = f"with revision #{ctx.args.revision}" if ctx.args.revision > 0 else ""
    ctx.out(f"{_name(info, obj)} {head}\n{text}\n")
    return 0


async def cmd_undo(ctx) -> int:
    info, obj, kind = await _object(ctx, "undo")
    result = await kind.undo(ctx, obj, ctx.args.to_revision)
    ctx.out(f"{_name(info, obj)} {result}\n")
    return 0


async def cmd_restart(ctx) -> int:
    info, obj, _ = await _object(ctx, "restart")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
    await ctx.client.patch(info, obj.metadata.name, patch, namespace=obj.metadata.namespace)
    ctx.out(f"{_name(info, obj)} restarted\n")
    return 0
