"""--dry-run=none|client|server and -o for the verbs that write manifests (apply, create -f).

As kubectl's cmdutil.GetDryRunStrategy: `client` builds the object locally and sends nothing;
`server` sends the write with dryRun so that the API server validates, defaults and admits it
without storing it. The API server takes dryRun on creates only: an apply that would update a live
object builds the merged object locally under `server` too (it is still validated by the first,
live read and the merge). Lines get kubectl's ` (dry run)` / ` (server dry run)` suffix.
"""

from __future__ import annotations

import copy
import json

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.cli.render.output import render_objects
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix
from kubelab.manifest import ManifestError, from_dict

__all__ = ["mode", "check", "create", "update", "report", "SUFFIX"]

SUFFIX = {"client": " (dry run)", "server": " (server dry run)"}
OUTPUTS = ("json", "yaml", "name")


def mode(ctx: Session) -> str:
    return getattr(ctx.args, "dry_run", None) or "none"


def check(ctx: Session) -> None:
    value, out = mode(ctx), getattr(ctx.args, "output", None)
    if value not in ("none", "client", "server"):
        raise CliError(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    if out and out not in OUTPUTS and not out.startswith("jsonpath="):
        raise CliError(f'error: unable to match a printer suitable for the output format "{out}", allowed '
                       "formats are: json,jsonpath,name,yaml")


def _local(data: dict, namespace: str) -> Message:
    data = copy.deepcopy(data)
    if namespace:
        data.setdefault("metadata", {})["namespace"] = namespace
    try:
        return from_dict(data)
    except ManifestError as e:
        raise CliError(f"error: {e}") from None


async def create(ctx: Session, data: dict, namespace: str) -> Message:
    if mode(ctx) == "client":
        return _local(data, namespace)
    if mode(ctx) == "server":
        return await ctx.client.create_manifest(json.dumps(data), namespace=namespace, dry_run=True)
    return await ctx.client.create_manifest(json.dumps(data), namespace=namespace)


async def update(ctx: Session, data: dict, namespace: str) -> Message:
    if mode(ctx) != "none":
        return _local(data, namespace)
    return await ctx.client.update_manifest(json.dumps(data), namespace=namespace)


def report(ctx: Session, obj: Message, word: str) -> None:
    """`pod/web created (dry run)`, or the object as -o asks."""
    out = getattr(ctx.args, "output", None)
    if out:
        ctx.out(render_objects([obj], out, single=True))
        return
    ctx.out(f"{kind_prefix(registry.kind_of(obj))}/{obj.metadata.name} {word}{SUFFIX.get(mode(ctx), '')}\n")
