"""kubelab logs: a container's logs, streamed from the pod's kubelet (kubectl pkg/cmd/logs).

    kubelab logs POD|pod/POD [-c C] [-f] [-p|--previous] [--tail N] [--since 5m] [--timestamps] [-n NS]

Which logs it prints: one pod, a controller's first pod, every pod of a selector, every container.

    kubelab logs deploy/web | sts/web | rs/NAME | job/NAME     the first pod (`Found 3 pods, using pod/web-0`)
    kubelab logs -l app=web [--prefix] [--max-log-requests 5]  each matching pod's logs, one after the other
    kubelab logs POD --all-containers [--prefix]               each container's, init containers first

As kubectl's logs.go and polymorphichelpers (logsforobject.go, GetFirstPod: pods sorted as ActivePods
sorts them, the best one first); -f with several streams follows them concurrently, as kubectl does.
"""

from __future__ import annotations

import argparse
import asyncio

from kubelab.api.v1 import core_pb2
from kubelab.cli import flags
from kubelab.printers.format import format_label_selector
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import resolve_kind

__all__ = ["register", "cmd_logs", "best_first", "pod_for"]

POD_KINDS = ("Pod",)
SELECTOR_TAIL = 10  # logs.go: with a selector, only the last 10 lines of each container unless --tail says
CONTROLLER_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("logs", help="print a container's logs (like kubectl logs)")
    p.add_argument("pod", nargs="?", metavar="POD", help="the pod (NAME, pod/NAME, deploy/NAME, sts/NAME, ...)")
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    _selection_flags(p)
    p.add_argument("-f", "--follow", action="store_true", help="keep streaming until the container stops")
    p.add_argument("-p", "--previous", action="store_true", help="the previous, terminated instance")
    p.add_argument("--tail", type=int, default=None, metavar="N", help="only the last N lines")
    p.add_argument("--since", metavar="DURATION", help="only lines newer than this (5s, 2m, 3h)")
    p.add_argument("--timestamps", action="store_true", help="prefix each line with its time")
    flags.namespace(p)
    p.set_defaults(func=flags.verb(cmd_logs))


def _selection_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-l", "--selector", default="", metavar="SEL", help="the logs of every pod matching this selector")
    p.add_argument("--all-containers", action="store_true", help="the logs of every container of the pod(s)")
    p.add_argument("--prefix", action="store_true", help="prefix each line with [pod/NAME/CONTAINER]")
    p.add_argument("--max-log-requests", type=int, default=5, metavar="N",
                   help="how many logs -l --follow may stream at once (default 5)")


def _rank(pod: core_pb2.Pod) -> tuple:
    """ActivePods order, best first: scheduled, running, ready, fewer restarts, older."""
    ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)
    restarts = sum(s.restart_count for s in pod.status.container_statuses)
    return (not pod.spec.node_name, pod.status.phase != "Running", not ready, restarts,
            pod.metadata.creation_timestamp.ToSeconds(), pod.metadata.name)


def best_first(pods: list[core_pb2.Pod]) -> list[core_pb2.Pod]:
    return sorted(pods, key=_rank)


async def _pods(ctx: Session) -> list[core_pb2.Pod]:
    a = ctx.args
    if a.selector:
        if a.pod:
            raise CliError("error: only one of a selector or a pod name may be given")
        pods, _ = await ctx.client.list("Pod", ctx.namespace, label_selector=a.selector)
        if not pods:
            ctx.note(f"No resources found in {ctx.namespace} namespace.")
        return sorted(pods, key=lambda p: p.metadata.name)
    if not a.pod:
        raise CliError("error: expected POD, TYPE/NAME, or -l selector")
    return [await pod_for(ctx, a.pod)]


async def pod_for(ctx: Session, arg: str) -> core_pb2.Pod:
    """The pod POD, pod/NAME names, or the best pod of a controller (deploy/NAME, sts/NAME ...)."""
    kind, sep, name = arg.partition("/")
    info = resolve_kind(kind) if sep else None
    if info is None or info.kind in POD_KINDS:
        return await ctx.client.get("Pod", name if sep else arg, ctx.namespace)
    if info.kind not in CONTROLLER_KINDS:
        raise CliError(f"error: cannot get the logs from {info.kind.lower()}: selector for {info.kind} not implemented")
    owner = await ctx.client.get(info, name, ctx.namespace)
    selector = format_label_selector(owner.spec.selector)
    pods, _ = await ctx.client.list("Pod", ctx.namespace, label_selector=selector)
    if not pods:
        raise CliError(f"error: timed out waiting for the condition: no pods found for {arg}")
    pods = best_first(pods)
    if len(pods) > 1:
        ctx.note(f"Found {len(pods)} pods, using pod/{pods[0].metadata.name}")
    return pods[0]


def _containers(pod: core_pb2.Pod) -> list[str]:
    return [c.name for c in pod.spec.init_containers] + [c.name for c in pod.spec.containers]


async def cmd_logs(ctx: Session) -> int:
    from kubelab.cli.kubelet import choose_container, kubelet_address, stream_logs

    a = ctx.args
    if a.selector and a.tail is None:
        a.tail = SELECTOR_TAIL
    pods = await _pods(ctx)
    if a.follow and a.selector and len(pods) > a.max_log_requests:
        raise CliError(f"error: you are attempting to follow {len(pods)} log streams, but maximum allowed "
                       f"concurrency is {a.max_log_requests}, use --max-log-requests to increase the limit")
    streams = []
    for pod in pods:
        if not pod.spec.node_name:
            raise CliError(f"Error from server (BadRequest): pod {pod.metadata.name} does not have a host assigned")
        address = kubelet_address(await ctx.client.get("Node", pod.spec.node_name))
        names = _containers(pod) if a.all_containers else [choose_container(pod, a.container, "logs")]
        for name in names:
            prefix = f"[pod/{pod.metadata.name}/{name}] ".encode() if a.prefix else b""
            streams.append((pod, name, address, prefix))
    if a.follow:
        codes = await asyncio.gather(*(stream_logs(ctx, *s) for s in streams))
        return max(codes, default=0)
    code = 0
    for s in streams:
        code = max(code, await stream_logs(ctx, *s))
    return code
