"""kubelab scale: set spec.replicas of a Deployment, ReplicaSet or StatefulSet (`deployment.apps/web scaled`)."""

from __future__ import annotations

import argparse
from kubelab.cli import flags
from kubelab.cli.cmd.apply import document_namespace, documents
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError, is_invalid, is_not_found

__all__ = ["register", "cmd_scale", "SCALABLE"]

SCALABLE = ("Deployment", "ReplicaSet", "StatefulSet")


async def cmd_scale(ctx: Session) -> int:
    a = ctx.args
    if a.replicas < 0:
        raise CliError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    if a.filename:
        objects = []
        for doc in documents(ctx, "scale"):
            if doc.error:
                raise CliError(doc.error)
            objects.append((doc.info, document_namespace(ctx, doc), doc.name))
    else:
        objects = [(t.info, ctx.namespace if t.info.namespaced else "", name)
                   for t in parse_targets(a.resources, "scale") for name in t.names]
        if not objects:
            raise CliError("error: resource(s) were provided, but no name was specified")
    for info, ns, name in objects:
        if info.kind not in SCALABLE:
            ctx.error(f'error: no scaler has been implemented for {{"{info.group}" "{info.kind}"}}')
            continue
        try:
            if a.current_replicas >= 0:
                current = await ctx.client.get(info, name, ns)
                have = current.spec.replicas if current.spec.HasField("replicas") else 1
                if have != a.current_replicas:
                    ctx.error(f"error: Expected replicas to be {a.current_replicas}, was {have}")
                    continue
            await ctx.client.patch(info, name, {"spec": {"replicas": a.replicas}}, namespace=ns)
        except ApiError as e:
            if not (is_not_found(e) or is_invalid(e)):
                raise
            ctx.api_error(e)
            continue
        ctx.out(f"{kind_prefix(info)}/{name} scaled\n")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scale", help="set the replicas of a Deployment, ReplicaSet or StatefulSet")
    p.add_argument("resources", nargs="*", metavar="KIND NAME")
    flags.files(p)
    flags.namespace(p)
    p.add_argument("--replicas", type=int, required=True, metavar="N", help="the new number of replicas")
    p.add_argument("--current-replicas", type=int, default=-1, metavar="N",
                   help="only scale if the current replicas are N")
    p.set_defaults(func=flags.verb(cmd_scale))
