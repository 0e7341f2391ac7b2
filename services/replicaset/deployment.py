"""The Deployment controller's plumbing (k/k `deployment_controller.go`): which keys to sync when
ReplicaSets and pods change, and `reconcile(key)`: read the snapshot from the caches, claim ReplicaSets
(adopt matching orphans, release sets that stop matching), ask `deployment_control.plan_sync` what to
do, let `DeploymentEffects` do it.

Handlers only map objects to Deployment keys: a ReplicaSet to its controlling Deployment (an orphan to
every Deployment whose selector matches it); a pod of a Recreate Deployment to that Deployment, so that
the last old pod going away starts the new ones.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.controller import Result, TerminalError
from kubelab.errors import ApiError, is_not_found
from kubelab.events import EventRecorder
from kubelab.informer import BY_NAMESPACE, InformerFactory, key_of
from kubelab.labels import Selector, SelectorError, label_selector_as_selector
from kubelab.meta import controller_of
from kubelab.controller_ref_manager import check_can_adopt, claim_objects, with_controller, without_owner
from services.replicaset.deployment_control import Snapshot, plan_sync
from services.replicaset.deployment_effects import DeploymentEffects

__all__ = ["DeploymentReconciler"]

log = logging.getLogger(__name__)


class DeploymentReconciler:
    def __init__(self, client, informers: InformerFactory, events: EventRecorder, *,
                 clock: Callable[[], float] = time.time):
        self.client, self.events, self.clock = client, events, clock
        self.deployments = informers.informer("Deployment")
        self.sets = informers.informer("ReplicaSet")
        self.pods = informers.informer("Pod")
        self.effects = DeploymentEffects(client, events, self.sets, clock)

    # --- handlers: objects -> Deployment keys -----------------------------------------------------------

    def _controlling(self, obj, kind: str, informer) -> apps_pb2.Deployment | apps_pb2.ReplicaSet | None:
        ref = controller_of(obj)
        if ref is None or ref.kind != kind:
            return None
        owner = informer.get(f"{obj.metadata.namespace}/{ref.name}")
        return owner if owner is not None and owner.metadata.uid == ref.uid else None

    def replica_set_keys(self, rs: apps_pb2.ReplicaSet) -> list[str]:
        """The controlling Deployment, or (an orphan) every Deployment that could adopt it."""
        if controller_of(rs) is not None:
            d = self._controlling(rs, "Deployment", self.deployments)
            return [key_of(d)] if d is not None else []
        keys = []
        for d in self.deployments.by_index(BY_NAMESPACE, rs.metadata.namespace):
            try:
                if label_selector_as_selector(d.spec.selector).matches(rs.metadata.labels):
                    keys.append(key_of(d))
            except SelectorError:
                continue
        return keys

    def pod_keys(self, pod: core_pb2.Pod) -> list[str]:
        rs = self._controlling(pod, "ReplicaSet", self.sets)
        d = self._controlling(rs, "Deployment", self.deployments) if rs is not None else None
        return [key_of(d)] if d is not None and d.spec.strategy.type == "Recreate" else []

    # --- reconcile --------------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result | None:
        d = self.deployments.get(key)
        if d is None:
            return None
        try:
            selector = label_selector_as_selector(d.spec.selector)
        except SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from None
        sets = await self._claim_replica_sets(d, selector)
        plan = plan_sync(Snapshot(d, sets, self._pods_by_set(d, selector, sets), self.clock()))
        return await self.effects.run(d, plan)

    def _pods_by_set(self, d: apps_pb2.Deployment, selector: Selector, sets: list) -> dict[str, list]:
        """Pods matching the selector, grouped by controlling set (getPodMapForDeployment); inactive ones too."""
        out: dict[str, list] = {rs.metadata.uid: [] for rs in sets}
        for pod in self.pods.by_index(BY_NAMESPACE, d.metadata.namespace):
            ref = controller_of(pod)
            if ref is not None and ref.uid in out and selector.matches(pod.metadata.labels):
                out[ref.uid].append(pod)
        return out

    async def _claim_replica_sets(self, d: apps_pb2.Deployment, selector: Selector) -> list:
        claimed = claim_objects(d, self.sets.by_index(BY_NAMESPACE, d.metadata.namespace),
                               lambda rs: selector.matches(rs.metadata.labels))
        sets = list(claimed.owned)
        if claimed.adopt:
            await check_can_adopt(self.client, d)
        for rs in claimed.adopt:
            adopted = await self._write_owner(with_controller(rs, d), "adopted", d)
            if adopted is not None:
                sets.append(adopted)
        for rs in claimed.release:
            await self._write_owner(without_owner(rs, [d.metadata.uid]), "released", d)
        return sets

    async def _write_owner(self, rs: apps_pb2.ReplicaSet, what: str, d: apps_pb2.Deployment):
        try:
            updated = await self.client.update(rs)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise
        log.info("%s replica set deployment=%s replicaset=%s", what, key_of(d), rs.metadata.name)
        return updated
