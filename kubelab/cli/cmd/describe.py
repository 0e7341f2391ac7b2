"""kubelab describe: fetch the object and what its page shows (events, pods, replica sets, lease)."""

from __future__ import annotations

import argparse
import time

from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.cli import flags
from kubelab.cli.describe import Related, describe
from kubelab.meta import controller_of
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import parse_targets
from kubelab.errors import ApiError, is_not_found
from kubelab.manifest import to_dict

__all__ = ["register", "cmd_describe", "related_for", "events_about"]

NODE_LEASE_NAMESPACE = "kube-node-lease"


async def events_about(ctx: Session, obj: Message, kind: str) -> list[Message]:
    """searchEvents: the events whose involvedObject is obj (by name, kind and uid when set)."""
    ns = obj.metadata.namespace or "default"
    events, _ = await ctx.client.list("Event", ns)
    found = []
    for ev in events:
        ref = ev.involved_object
        if ref.name != obj.metadata.name or (ref.kind and ref.kind != kind):
            continue
        if ref.namespace and ref.namespace != obj.metadata.namespace:
            continue
        if ref.uid and ref.uid not in (obj.metadata.uid, obj.metadata.name):  # kubelets use the node name
            continue
        found.append(ev)
    return found


def _template_key(template: Message) -> dict:
    """A pod template without the pod-template-hash label, as EqualIgnoreHash compares them."""
    data = to_dict(template)
    data.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return data


async def _replica_sets(ctx: Session, d: Message) -> tuple[list[Message], list[Message]]:
    """deploymentutil.GetAllReplicaSets: (old, [new]) among the sets this Deployment controls."""
    sets, _ = await ctx.client.list("ReplicaSet", d.metadata.namespace)
    owned = [rs for rs in sets if (ref := controller_of(rs)) is not None and ref.uid == d.metadata.uid]
    want = _template_key(d.spec.template)
    new = [rs for rs in owned if _template_key(rs.spec.template) == want][:1]
    old = sorted((rs for rs in owned if rs not in new), key=lambda rs: rs.metadata.name)
    return old, new


async def related_for(ctx: Session, obj: Message, kind: str) -> Related:
    related = Related(now=time.time())
    if ctx.args.show_events:
        related.events = await events_about(ctx, obj, kind)
    ns = obj.metadata.namespace
    if kind in ("ReplicaSet", "StatefulSet"):
        related.pods, _ = await ctx.client.list("Pod", ns)
    elif kind == "Deployment":
        related.replica_sets = await _replica_sets(ctx, obj)
    elif kind == "Service":
        related.endpoint_slices, _ = await ctx.client.list(
            "EndpointSlice", ns, label_selector=f"kubernetes.io/service-name={obj.metadata.name}")
    elif kind == "PersistentVolumeClaim":
        pods, _ = await ctx.client.list("Pod", ns)
        related.pods = [p for p in pods if any(
            v.HasField("persistent_volume_claim") and v.persistent_volume_claim.claim_name == obj.metadata.name
            for v in p.spec.volumes)]
    elif kind == "Node":
        pods, _ = await ctx.client.list("Pod", "", field_selector=f"spec.nodeName={obj.metadata.name}")
        related.pods = sorted((p for p in pods if p.status.phase not in ("Succeeded", "Failed")),
                              key=lambda p: (p.metadata.namespace, p.metadata.name))
        try:
            related.lease = await ctx.client.get("Lease", obj.metadata.name, NODE_LEASE_NAMESPACE)
        except ApiError as e:
            if not is_not_found(e):
                raise
    return related


async def _matching(ctx: Session, info: KindInfo, name: str, ns: str) -> list[Message]:
    """The object called name, else (as kubectl does) every object whose name starts with it."""
    try:
        return [await ctx.client.get(info, name, ns)]
    except ApiError as e:
        if not is_not_found(e):
            raise
        objs, _ = await ctx.client.list(info, ns)
        prefixed = sorted((o for o in objs if o.metadata.name.startswith(name)), key=lambda o: o.metadata.name)
        if not prefixed:
            ctx.api_error(e)
        return prefixed


async def cmd_describe(ctx: Session) -> int:
    a = ctx.args
    targets = parse_targets(a.resources, "describe")
    pages = []
    for t in targets:
        ns = "" if (ctx.all_namespaces or not t.info.namespaced) else ctx.namespace
        if t.names:
            if ctx.all_namespaces and t.info.namespaced:
                raise CliError("error: a resource cannot be retrieved by name across all namespaces")
            objs = [o for name in t.names for o in await _matching(ctx, t.info, name, ns)]
        else:
            objs, _ = await ctx.client.list(t.info, ns, label_selector=a.selector or "")
            objs.sort(key=lambda o: (o.metadata.namespace, o.metadata.name))
        for obj in objs:
            pages.append(describe(obj, t.info.kind, await related_for(ctx, obj, t.info.kind)))
    if pages:
        ctx.out("\n\n".join(pages))
    elif not ctx.failed:
        ctx.note("No resources found" if ctx.all_namespaces else f"No resources found in {ctx.namespace} namespace.")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("describe", help="show an object in detail, with its events")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    flags.namespace(p, all_namespaces=True)
    flags.selector(p)
    p.add_argument("--show-events", type=flags.parse_bool, default=True, metavar="BOOL",
                   help="show events (default true)")
    p.set_defaults(func=flags.verb(cmd_describe))
