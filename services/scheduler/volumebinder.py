"""The API side of volume binding: write what the scheduler decided, then wait for the PV controller
to finish the binding (upstream volumebinding/binder.go: BindPodVolumes, checkBindings).

Static binding writes the chosen PV's claimRef (an update carrying the resourceVersion read, so two
schedulers cannot both claim one volume); dynamic provisioning annotates the claim with
`volume.kubernetes.io/selected-node` (a merge patch: the PV controller may annotate the claim too).
Then the pod waits until every claim is bound to a volume that admits the node. If the binder resets
the selected node (provisioning failed) or a claimRef, or `bind_timeout` passes, the binding cycle
fails, the reservation is undone and the pod goes back to the queue.
"""
from __future__ import annotations

import logging

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError
from kubelab.meta import resource_version_of
from kubelab.storage.volume import ANN_SELECTED_NODE, check_node_affinity, is_claim_bound
from services.scheduler.framework import SUCCESS, Status
from services.scheduler.volumecache import VolumeCache

__all__ = ["VolumeBinder", "BindingError", "claim_problem"]

log = logging.getLogger(__name__)


class BindingError(Exception):
    """The binding can no longer complete as decided."""


def claim_problem(pod: core_pb2.Pod, claim_name: str, pvc: core_pb2.PersistentVolumeClaim | None,
                  ephemeral: bool) -> str:
    """Why a claim makes the pod unschedulable whatever the node, or "" (volume_binding.go podHasPVCs)."""
    if pvc is None:
        if ephemeral:
            return f'waiting for ephemeral volume controller to create the persistentvolumeclaim "{claim_name}"'
        return f'persistentvolumeclaim "{claim_name}" not found'
    if ephemeral and not any(ref.controller and ref.uid == pod.metadata.uid for ref in pvc.metadata.owner_references):
        ns = pod.metadata.namespace
        return f"PVC {ns}/{claim_name} was not created for pod {ns}/{pod.metadata.name} (pod is not owner)"
    if pvc.metadata.HasField("deletion_timestamp"):
        return f'persistentvolumeclaim "{claim_name}" is being deleted'
    if pvc.status.phase == "Lost":
        return f'persistentvolumeclaim "{claim_name}" bound to non-existent persistentvolume "{pvc.spec.volume_name}"'
    return ""


def _key(obj) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


class VolumeBinder:
    def __init__(self, client, volumes: VolumeCache, node_labels, bind_timeout: float = 600.0):
        """`node_labels(name)` -> the node's labels (the scheduler cache's view)."""
        self.client, self.volumes, self.node_labels, self.bind_timeout = client, volumes, node_labels, bind_timeout

    async def bind_pod_volumes(self, pod: core_pb2.Pod, node: str, static: list, dynamic: list) -> Status:
        written: dict[str, int] = {}
        """What our writes returned: the informer must catch up with them before we judge."""
        try:
            for _pvc, pv in static:
                written[pv.metadata.name] = resource_version_of(await self.client.update(pv))
            for pvc in dynamic:
                out = await self.client.patch("PersistentVolumeClaim", pvc.metadata.name,
                                              {"metadata": {"annotations": {ANN_SELECTED_NODE: node}}},
                                              pvc.metadata.namespace)
                written[_key(pvc)] = resource_version_of(out)
        except ApiError as e:
            return Status.error(f"binding volumes: {e}")
        claims = [_key(pvc) for pvc, _ in static] + [_key(pvc) for pvc in dynamic]
        log.debug("waiting for claims to be bound pod=%s/%s node=%s claims=%s", pod.metadata.namespace,
                  pod.metadata.name, node, ",".join(claims))
        try:
            done = await self.volumes.wait_for(claims, lambda: self.check_bindings(node, static, dynamic, written),
                                               self.bind_timeout)
        except BindingError as e:
            return Status.error(f"binding volumes: {e}")
        return SUCCESS if done else Status.error("binding volumes: context deadline exceeded")

    def check_bindings(self, node: str, static: list, dynamic: list, written: dict[str, int] | None = None) -> bool:
        """Whether every claim is bound as decided; raises BindingError when it cannot happen any more.
        `written`: resourceVersions of our own writes, older versions are not judged."""
        written = written or {}
        for pvc, pv in static:
            latest = self.volumes.pv(pv.metadata.name)
            if latest is None:
                raise BindingError(f'pv "{pv.metadata.name}" not found')
            if resource_version_of(latest) < written.get(pv.metadata.name, -1):
                return False
            ref = latest.spec.claim_ref
            if not latest.spec.HasField("claim_ref") or not ref.uid:
                raise BindingError(f'ClaimRef got reset for pv "{pv.metadata.name}"')
            if ref.uid != pvc.metadata.uid:
                raise BindingError(f'ClaimRef got bound to different pvc for pv "{pv.metadata.name}"')
            if not self._claim_bound(pvc, node):
                return False
        for pvc in dynamic:
            if not self._claim_bound(pvc, node, provisioning=True, written=written.get(_key(pvc), -1)):
                return False
        return True

    def _claim_bound(self, pvc: core_pb2.PersistentVolumeClaim, node: str, provisioning: bool = False,
                     written: int = -1) -> bool:
        latest = self.volumes.pvc(pvc.metadata.namespace, pvc.metadata.name)
        if latest is None:
            raise BindingError(f'failed to get pvc "{_key(pvc)}": not found')
        if resource_version_of(latest) < written:
            return False
        if not latest.spec.volume_name:
            if provisioning:
                selected = latest.metadata.annotations.get(ANN_SELECTED_NODE)
                if selected is None:
                    raise BindingError(f'selectedNode annotation reset for PVC "{pvc.metadata.name}"')
                if selected != node:
                    raise BindingError(f'selectedNode annotation value "{selected}" not set to scheduled node '
                                       f'"{node}"')
            return False
        pv = self.volumes.pv(latest.spec.volume_name)
        if pv is None:
            return False
        if not check_node_affinity(pv, self.node_labels(node), node):
            raise BindingError(f'pv "{pv.metadata.name}" node affinity doesn\'t match node "{node}"')
        return is_claim_bound(latest)
