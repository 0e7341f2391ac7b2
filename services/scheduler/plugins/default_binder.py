"""DefaultBinder: the pods/binding call. The API server sets spec.nodeName once (a second bind is a
Conflict) and PodScheduled=True, atomically, so a bind can never happen twice.

The client retries a call whose connection broke (UNAVAILABLE), and a bind may have been stored before
the answer was lost (the API server killed or the scheduler's path cut right after it): the retry then
meets our own binding as a Conflict. So a Conflict is looked at: a pod already bound to the chosen node
is bound, and the binding cycle succeeds instead of reporting a scheduling failure for a running pod."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_conflict
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
            if is_conflict(e) and await self._bound_to(pod, node_name):
                return SUCCESS
            return Status.error(str(e))
        return SUCCESS

    async def _bound_to(self, pod: core_pb2.Pod, node_name: str) -> bool:
        try:
            current = await self.client.get("Pod", pod.metadata.name, pod.metadata.namespace)
        except ApiError:
            return False
        return current.metadata.uid == pod.metadata.uid and current.spec.node_name == node_name
