"""Writes pod statuses to the API server: the latest status each worker computed, when it differs from the
API's. A conflict re-reads the pod and merges again; an unreachable API server keeps the status pending
(pods keep running meanwhile) and is retried with back-off; a pod that is gone is forgotten.

The merge keeps what the kubelet does not own: conditions of other types (readiness gates set by
controllers), PodScheduled as the scheduler wrote it, nominatedNodeName.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import grpc

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_conflict, is_not_found, is_service_unavailable
from services.kubelet.podstatus import KUBELET_CONDITIONS

__all__ = ["StatusManager", "merge_status"]

log = logging.getLogger(__name__)


def merge_status(current: core_pb2.PodStatus, desired: core_pb2.PodStatus) -> core_pb2.PodStatus:
    out = core_pb2.PodStatus()
    out.CopyFrom(desired)
    existing = {c.type: c for c in current.conditions}
    del out.conditions[:]
    for c in desired.conditions:
        if c.type == "PodScheduled" and "PodScheduled" in existing:
            out.conditions.append(existing["PodScheduled"])
        else:
            out.conditions.append(c)
    out.conditions.extend(c for c in current.conditions if c.type not in KUBELET_CONDITIONS)
    out.nominated_node_name = current.nominated_node_name
    if current.qos_class:
        out.qos_class = current.qos_class
    return out


class StatusManager:
    def __init__(self, client, cached: Callable[[str], core_pb2.Pod | None]):
        self.client, self.cached = client, cached
        self._desired: dict[str, tuple[str, core_pb2.PodStatus]] = {}
        self._dirty: set[str] = set()
        self._generation: dict[str, int] = {}
        self._changed = asyncio.Event()
        self.writes = 0

    def set_status(self, uid: str, key: str, status: core_pb2.PodStatus) -> None:
        prev = self._desired.get(uid)
        if prev is not None and prev[1] == status and uid not in self._dirty:
            cached = self.cached(key)
            if cached is not None and cached.metadata.uid == uid and merge_status(cached.status, status) == cached.status:
                return
        self._desired[uid] = (key, status)
        self._generation[uid] = self._generation.get(uid, 0) + 1
        self._dirty.add(uid)
        self._changed.set()

    def forget(self, uid: str) -> None:
        self._desired.pop(uid, None)
        self._generation.pop(uid, None)
        self._dirty.discard(uid)

    def pending(self) -> int:
        return len(self._dirty)

    async def run(self) -> None:
        delay = 0.2
        while True:
            await self._changed.wait()
            self._changed.clear()
            failed = False
            for uid in list(self._dirty):
                if uid not in self._dirty:
                    continue
                generation = self._generation.get(uid)
                try:
                    await self._write(uid)
                    if self._generation.get(uid) == generation:  # nothing newer came meanwhile
                        self._dirty.discard(uid)
                except ApiError as e:
                    failed = True
                    lvl = logging.DEBUG if is_service_unavailable(e) else logging.WARNING
                    log.log(lvl, "status not written, will retry pod=%s error=%s",
                            self._desired.get(uid, ("?",))[0], e)
            if failed:
                self._changed.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                delay = 0.2

    async def _write(self, uid: str) -> None:
        key, desired = self._desired[uid]
        ns, name = key.split("/", 1)
        pod = self.cached(key)
        for _ in range(5):
            if pod is None or pod.metadata.uid != uid:
                try:
                    pod = await self.client.get("Pod", name, ns)
                except ApiError as e:
                    if is_not_found(e):
                        self.forget(uid)
                        return
                    raise
                if pod.metadata.uid != uid:
                    self.forget(uid)
                    return
            merged = merge_status(pod.status, desired)
            if merged == pod.status:
                return
            pod.status.CopyFrom(merged)
            try:
                await self.client.update_status(pod)
                self.writes += 1
                log.debug("status written pod=%s phase=%s", key, merged.phase)
                return
            except ApiError as e:
                if is_not_found(e):
                    self.forget(uid)
                    return
                if not is_conflict(e):
                    raise
                pod = None  # re-read and merge again
        raise ApiError(grpc.StatusCode.ABORTED, "Conflict", f"pod {key}: status kept conflicting")
