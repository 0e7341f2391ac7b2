"""What the scheduler writes besides bindings: events, the PodScheduled condition, and preemption's
evictions (upstream schedule_one.go handleSchedulingFailure/updatePod, preemption prepareCandidate)."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from google.protobuf import json_format

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found
from kubelab.events import NORMAL

__all__ = ["StatusWriter", "NOTE_LENGTH_LIMIT", "truncate_message", "pod_scheduled_conditions"]

log = logging.getLogger(__name__)

NOTE_LENGTH_LIMIT = 1024
"""Events' message limit (validation.NoteLengthLimit)."""


def truncate_message(message: str) -> str:
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[:NOTE_LENGTH_LIMIT - 4] + " ..."


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod_scheduled_conditions(pod: core_pb2.Pod, reason: str, message: str, now: float) -> list[dict] | None:
    """The pod's conditions (as JSON) with PodScheduled=False, or None if that changes nothing
    (podutil.UpdatePodCondition: the transition time moves only when the status changes)."""
    out, found = [], False
    for c in pod.status.conditions:
        d = json_format.MessageToDict(c)
        if c.type == "PodScheduled":
            found = True
            if c.status == "False" and c.reason == reason and c.message == message:
                return None
            if c.status != "False" or "lastTransitionTime" not in d:
                d["lastTransitionTime"] = _rfc3339(now)
            d.update(status="False", reason=reason, message=message)
            d.pop("lastProbeTime", None)
        out.append(d)
    if not found:
        out.append({"type": "PodScheduled", "status": "False", "reason": reason, "message": message,
                    "lastTransitionTime": _rfc3339(now)})
    return out


class StatusWriter:
    def __init__(self, client, events, clock=time.time):
        self.client, self.events, self.clock = client, events, clock

    def event(self, pod: core_pb2.Pod, type_: str, reason: str, message: str) -> None:
        self.events.event(pod, type_, reason, truncate_message(message))

    async def update_pod_scheduled(self, pod: core_pb2.Pod, reason: str, message: str, nominated: str = "") -> None:
        conditions = pod_scheduled_conditions(pod, reason, message, self.clock())
        status: dict = {}
        if conditions is not None:
            status["conditions"] = conditions
        if nominated and pod.status.nominated_node_name != nominated:
            status["nominatedNodeName"] = nominated
        if not status:
            return
        try:
            await self.client.patch("Pod", pod.metadata.name, {"status": status}, pod.metadata.namespace, status=True)
        except ApiError as e:
            log.info("cannot update pod condition pod=%s/%s error=%s", pod.metadata.namespace, pod.metadata.name, e)

    async def evict(self, preemptor: core_pb2.Pod, node: str, victims: list[core_pb2.Pod]) -> None:
        """Delete the victims of a preemption (gracefully), each with a Preempted event."""
        for v in victims:
            try:
                await self.client.delete("Pod", v.metadata.name, v.metadata.namespace, uid=v.metadata.uid)
            except ApiError as e:
                if not is_not_found(e):
                    log.warning("cannot preempt pod=%s/%s error=%s", v.metadata.namespace, v.metadata.name, e)
                continue
            self.event(v, NORMAL, "Preempted", f"Preempted by pod {preemptor.metadata.uid} on node {node}")
