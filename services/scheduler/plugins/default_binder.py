"""DefaultBinder: the pods/binding call. The API server sets spec.nodeName once (a second bind is a
Conflict) and PodScheduled=True, atomically, so a bind can never happen twice."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError
from services.scheduler.framework import SUCCESS, CycleState, Status

__all__ = ["DefaultBinder"]


class DefaultBinder:
    name = "DefaultBinder"

    def __init__(self, client):
        self.client = client

    async def bind(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        try:
            await self.client.bind(pod.metadata.namespace, pod.metadata.name, node_name, pod.metadata.uid)
        except ApiError as e:
            return Status.error(str(e))
        return SUCCESS
