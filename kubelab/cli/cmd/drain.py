"""Node maintenance verbs, like kubectl's: cordon, uncordon, drain.

    kubelab cordon NODE... | -l SEL          node/node-1 cordoned
    kubelab uncordon NODE... | -l SEL        node/node-1 uncordoned
    kubelab drain NODE... | -l SEL [--ignore-daemonsets] [--force] [--delete-emptydir-data]
                  [--grace-period N] [--timeout 60s] [--disable-eviction]

drain cordons the node, then evicts every pod on it except mirror pods and (with --ignore-daemonsets)
DaemonSet-managed ones, refusing, unless told otherwise, to touch pods no controller would recreate
(--force) or pods with emptyDir data (--delete-emptydir-data), with kubectl's messages (kubectl
pkg/drain: filters.go, drain.go; cmd/drain). kubelab has no eviction subresource (and so no
PodDisruptionBudgets): an eviction is a graceful delete, then drain waits until the pod is gone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2
from kubelab.cli import flags
from kubelab.cli.session import CliError, Session
from kubelab.errors import ApiError, is_not_found

__all__ = ["register", "pods_for_deletion", "DrainPlan", "DAEMONSET_FATAL", "LOCAL_STORAGE_FATAL",
           "UNMANAGED_FATAL"]

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
UNMANAGED_FATAL = "Pods declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


@dataclass
class DrainPlan:
    delete: list[core_pb2.Pod] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def warning_text(self) -> str:
        return "; ".join(f"{msg}: {', '.join(pods)}" for msg, pods in sorted(self.warnings.items()))

    def error_text(self) -> str:
        errs = [f"cannot delete {msg}: {', '.join(pods)}" for msg, pods in sorted(self.errors.items())]
        return errs[0] if len(errs) == 1 else f"[{', '.join(errs)}]"


def _controller(pod: core_pb2.Pod) -> core_pb2.OwnerReference | None:
    return next((r for r in pod.metadata.owner_references if r.controller), None)


def _status(pod: core_pb2.Pod, ignore_daemonsets: bool, delete_emptydir: bool, force: bool) -> tuple[bool, str, str]:
    """(delete, warning, fatal) as kubectl's filters leave it: they run in order, stop at the first that
    keeps the pod, and only the last one's verdict counts."""
    finished = pod.status.phase in ("Succeeded", "Failed")
    ref = _controller(pod)
    if ref is not None and ref.kind == "DaemonSet" and not finished:
        return (False, DAEMONSET_WARNING, "") if ignore_daemonsets else (False, "", DAEMONSET_FATAL)
    if MIRROR_ANNOTATION in pod.metadata.annotations:
        return False, "", ""
    if not finished and not delete_emptydir and any(v.HasField("empty_dir") for v in pod.spec.volumes):
        return False, "", LOCAL_STORAGE_FATAL
    # (kubectl's "deleting Pods with local storage" warning is always overwritten by the next filter.)
    if not finished and ref is None:
        return (True, UNMANAGED_WARNING, "") if force else (False, "", UNMANAGED_FATAL)
    return True, "", ""


def pods_for_deletion(pods: list[core_pb2.Pod], *, ignore_daemonsets: bool = False, delete_emptydir: bool = False,
                      force: bool = False) -> DrainPlan:
    plan = DrainPlan()
    for pod in pods:
        delete, warning, fatal = _status(pod, ignore_daemonsets, delete_emptydir, force)
        who = f"{pod.metadata.namespace}/{pod.metadata.name}"
        if fatal:
            plan.errors.setdefault(fatal, []).append(who)
        elif warning:
            plan.warnings.setdefault(warning, []).append(who)
        if delete and not fatal:
            plan.delete.append(pod)
    return plan


async def _node_names(ctx: Session) -> list[str]:
    a = ctx.args
    if a.selector:
        if a.nodes:
            raise CliError("error: cannot specify both a node name and a --selector option")
        nodes, _ = await ctx.client.list("Node", label_selector=a.selector)
        return [n.metadata.name for n in nodes]
    if not a.nodes:
        raise CliError("error: USAGE: kubelab %s NODE [flags]" % a.command)
    return a.nodes


async def _set_unschedulable(ctx: Session, name: str, value: bool) -> bool:
    """Cordon or uncordon one node; False (reported) if it does not exist."""
    try:
        node = await ctx.client.get("Node", name)
        if node.spec.unschedulable == value:
            ctx.out(f"node/{name} already {'cordoned' if value else 'uncordoned'}\n")
            return True
        await ctx.client.patch("Node", name, {"spec": {"unschedulable": value or None}})
    except ApiError as e:
        if not is_not_found(e):
            raise
        ctx.api_error(e)
        return False
    ctx.out(f"node/{name} {'cordoned' if value else 'uncordoned'}\n")
    return True


async def cmd_cordon(ctx: Session) -> int:
    for name in await _node_names(ctx):
        await _set_unschedulable(ctx, name, True)
    return ctx.status()


async def cmd_uncordon(ctx: Session) -> int:
    for name in await _node_names(ctx):
        await _set_unschedulable(ctx, name, False)
    return ctx.status()


async def _evict(ctx: Session, pod: core_pb2.Pod, deadline: float | None) -> str:
    """Delete one pod gracefully and wait until it is gone; an error text, or ""."""
    ns, name, a = pod.metadata.namespace, pod.metadata.name, ctx.args
    ctx.out(f"evicting pod {ns}/{name}\n")
    grace = a.grace_period if a.grace_period >= 0 else None
    try:
        await ctx.client.delete("Pod", name, ns, grace_period_seconds=grace, uid=pod.metadata.uid)
    except ApiError as e:
        if not is_not_found(e):
            return f"error when evicting pods/\"{name}\" -n \"{ns}\": {e}"
    while True:
        try:
            current = await ctx.client.get("Pod", name, ns)
            gone = current.metadata.uid != pod.metadata.uid
        except ApiError as e:
            if not is_not_found(e):
                raise
            gone = True
        if gone:
            ctx.out(f"pod/{name} evicted\n")
            return ""
        if deadline is not None and time.monotonic() > deadline:
            return (f'error when waiting for pod "{name}" in namespace "{ns}" to terminate: global timeout '
                    f"reached: {a.timeout}")
        await asyncio.sleep(0.2)


async def _drain_node(ctx: Session, name: str) -> str:
    a = ctx.args
    pods, _ = await ctx.client.list("Pod", field_selector=f"spec.nodeName={name}")
    plan = pods_for_deletion(pods, ignore_daemonsets=a.ignore_daemonsets, delete_emptydir=a.delete_emptydir_data,
                             force=a.force)
    if plan.errors:
        return plan.error_text()
    if plan.warnings:
        print(f"Warning: {plan.warning_text()}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + _seconds(a.timeout) if _seconds(a.timeout) > 0 else None
    errors = [e for e in await asyncio.gather(*(_evict(ctx, p, deadline) for p in plan.delete)) if e]
    return "" if not errors else (errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")


def _seconds(text: str) -> float:
    from kubelab.config import parse_duration
    try:
        return parse_duration(text)
    except argparse.ArgumentTypeError as e:
        raise CliError(f"error: {e}") from None


async def cmd_drain(ctx: Session) -> int:
    names = await _node_names(ctx)
    pending, fatal = [], ""
    for name in names:
        if not await _set_unschedulable(ctx, name, True):
            continue
        err = await _drain_node(ctx, name)
        if err:
            ctx.error(f'error: unable to drain node "{name}" due to error: {err}, continuing command...')
            pending.append(name)
            fatal = err
        else:
            ctx.out(f"node/{name} drained\n")
    if pending:
        ctx.error("There are pending nodes to be drained:\n" + "\n".join(f" {n}" for n in pending))
        ctx.error(f"error: {fatal}")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    for verb, fn, text in (("cordon", cmd_cordon, "mark a node unschedulable (like kubectl cordon)"),
                           ("uncordon", cmd_uncordon, "mark a node schedulable again"),
                           ("drain", cmd_drain, "cordon a node and evict its pods (like kubectl drain)")):
        p = subparsers.add_parser(verb, help=text)
        p.add_argument("nodes", nargs="*", metavar="NODE")
        p.add_argument("-l", "--selector", default="", metavar="SEL", help="nodes by label selector")
        if verb == "drain":
            p.add_argument("--ignore-daemonsets", action="store_true", help="ignore DaemonSet-managed pods")
            p.add_argument("--force", action="store_true", help="also delete pods that declare no controller")
            p.add_argument("--delete-emptydir-data", "--delete-local-data", dest="delete_emptydir_data",
                           action="store_true", help="also delete pods using emptyDir (their data is lost)")
            p.add_argument("--grace-period", type=int, default=-1,
                           help="seconds each pod gets to terminate; -1: the pod's own")
            p.add_argument("--timeout", default="0s", help="give up after this long (e.g. 60s); 0: wait forever")
            p.add_argument("--disable-eviction", action="store_true",
                           help="delete instead of evicting (kubelab always deletes: there are no PDBs)")
        p.set_defaults(func=flags.verb(fn))
