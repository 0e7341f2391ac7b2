"""A node's describe sections on its pods' requests and limits (describeNodeResource)."""

from __future__ import annotations

from fractions import Fraction

from google.protobuf.message import Message

from kubelab.printers import format as fmt
from kubelab.quantity import QuantityError, format_bytes, format_millis, parse_quantity

__all__ = ["pod_requests_and_limits", "describe_node_resources"]

RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _parse(value: str) -> Fraction:
    try:
        return parse_quantity(value)
    except QuantityError:
        return Fraction(0)


def pod_requests_and_limits(pod: Message) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """PodRequestsAndLimits: the containers' sum, raised to any larger init container."""
    reqs: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    for c in pod.spec.containers:
        for total, values in ((reqs, c.resources.requests), (limits, c.resources.limits)):
            for name, value in values.items():
                total[name] = total.get(name, Fraction(0)) + _parse(value)
    for c in pod.spec.init_containers:
        for total, values in ((reqs, c.resources.requests), (limits, c.resources.limits)):
            for name, value in values.items():
                total[name] = max(total.get(name, Fraction(0)), _parse(value))
    return reqs, limits


def _show(name: str, value: Fraction) -> str:
    if name == "cpu":
        return format_millis(int(value * 1000))
    return format_bytes(int(value)) if value else "0"


def _percent(value: Fraction, allocatable: Fraction) -> int:
    return int(value / allocatable * 100) if allocatable else 0


def describe_node_resources(w, node: Message, pods: list[Message], now: float) -> None:
    alloc_map = node.status.allocatable or node.status.capacity
    alloc = {name: _parse(alloc_map.get(name, "0")) for name in RESOURCES}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    total_req: dict[str, Fraction] = {}
    total_lim: dict[str, Fraction] = {}
    for pod in pods:
        req, lim = pod_requests_and_limits(pod)
        for total, values in ((total_req, req), (total_lim, lim)):
            for name, value in values.items():
                total[name] = total.get(name, Fraction(0)) + value
        cells = []
        for name in ("cpu", "memory"):
            for values in (req, lim):
                v = values.get(name, Fraction(0))
                cells.append(f"{_show(name, v)} ({_percent(v, alloc[name])}%)")
        w.write(1, f"{pod.metadata.namespace}\t{pod.metadata.name}\t\t" + "\t".join(cells) +
                f"\t{fmt.since(pod.metadata, 'creation_timestamp', now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for name in RESOURCES:
        r, lim = total_req.get(name, Fraction(0)), total_lim.get(name, Fraction(0))
        w.write(1, f"{name}\t{_show(name, r)} ({_percent(r, alloc[name])}%)\t"
                   f"{_show(name, lim)} ({_percent(lim, alloc[name])}%)\n")
