"""VolumeBinding: a pod's claims decide where it may run, and the pod is bound only once they are
(plugins/volumebinding: volume_binding.go, binder.go; reference §5.1).

- PreFilter: a pod without claims skips the plugin; a missing, terminating or lost claim rejects it;
  an unbound claim that binds Immediately makes it wait (`pod has unbound immediate
  PersistentVolumeClaims`) until the PV controller binds it.
- Filter, per node: a bound claim's volume must admit the node (node affinity); an unbound
  WaitForFirstConsumer claim needs an Available volume that fits the node, or a class whose
  provisioner may provision there (allowedTopologies).
- Reserve: assume the choice (the PV's claimRef, or the claim's `volume.kubernetes.io/selected-node`).
- PreBind: write it, then wait (up to `bind_timeout`) until the PV controller has bound every claim.
- Unreserve: forget the assumptions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2
from kubelab.nodeaffinity import CompiledSelector, TopologyTerms, compile_topology_terms, match_topology_terms
from kubelab.storage.matching import ClaimSpec, VolumeSpec, claim_spec, find_matching_volume, volume_spec
from kubelab.storage.volume import (ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, NOT_SUPPORTED_PROVISIONER,
                                    claim_class, is_claim_bound, is_delay_binding, volume_node_affinity)
from services.scheduler.framework import (SKIP, SUCCESS, ActionType, ClusterEvent, CycleState, Status)
from services.scheduler.nodeinfo import NodeInfo
from services.scheduler.volumebinder import VolumeBinder, claim_problem
from services.scheduler.volumecache import VolumeCache

__all__ = ["VolumeBinding", "REASON_BIND_CONFLICT", "REASON_NODE_CONFLICT", "REASON_PV_NOT_EXIST",
           "REASON_UNBOUND_IMMEDIATE"]

NAME = "VolumeBinding"
REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
# "node(s) had volume node affinity conflict" before Kubernetes 1.33 (PR #129887).
REASON_NODE_CONFLICT = "node(s) didn't match PersistentVolume's node affinity"
REASON_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
_STATE_KEY = "PreFilterVolumeBinding"


@dataclass
class _State:
    bound: list[tuple[core_pb2.PersistentVolumeClaim, core_pb2.PersistentVolume | None, CompiledSelector | None]]
    to_bind: list[tuple[ClaimSpec, TopologyTerms | None]]
    """Claims to bind, each with where its class may provision (allowedTopologies), None: nowhere."""
    candidates: list[VolumeSpec]
    by_node: dict[str, tuple[list, list]] = field(default_factory=dict)
    """node -> (static bindings [(claim, volume)], claims to provision) that Filter found there; nodes
    where every claim is to be provisioned are not stored."""
    reserved: tuple[list, list] = ([], [])


class VolumeBinding:
    name = NAME

    def __init__(self, volumes: VolumeCache, binder: VolumeBinder):
        self.volumes, self.binder = volumes, binder

    def pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        ns = pod.metadata.namespace
        bound, to_bind, immediate = [], [], False
        any_claim = False
        for v in pod.spec.volumes:
            ephemeral = v.HasField("ephemeral")
            if ephemeral:
                claim_name = f"{pod.metadata.name}-{v.name}"
            elif v.HasField("persistent_volume_claim") and v.persistent_volume_claim.claim_name:
                claim_name = v.persistent_volume_claim.claim_name
            else:
                continue
            any_claim = True
            pvc = self.volumes.pvc(ns, claim_name)
            problem = claim_problem(pod, claim_name, pvc, ephemeral)
            if problem:
                return Status.unresolvable(problem)
            if is_claim_bound(pvc):
                pv = self.volumes.pv(pvc.spec.volume_name)
                bound.append((pvc, pv, volume_node_affinity(pv) if pv is not None else None))
                continue
            sc = self.volumes.storage_class(claim_class(pvc))
            if is_delay_binding(sc) and not pvc.spec.volume_name:
                provisionable = sc.provisioner not in ("", NOT_SUPPORTED_PROVISIONER)
                to_bind.append((claim_spec(pvc), compile_topology_terms(sc.allowed_topologies) if provisionable else None))
            else:
                immediate = True
        if not any_claim:
            return SKIP
        if immediate:
            return Status.unresolvable(REASON_UNBOUND_IMMEDIATE)
        to_bind.sort(key=lambda c: c[0].requested)  # smallest claims pick first
        keys = [f"{c.pvc.metadata.namespace}/{c.pvc.metadata.name}" for c, _ in to_bind]
        candidates = [volume_spec(pv) for pv in self.volumes.candidate_pvs(keys)] if to_bind else []
        state.write(_STATE_KEY, _State(bound, to_bind, candidates))
        return SUCCESS

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        s: _State = state.read(_STATE_KEY)
        node_conflict = pv_missing = bind_conflict = False
        for _pvc, pv, affinity in s.bound:
            if pv is None:
                pv_missing = True
                break
            if affinity is not None and not affinity.matches(node.labels, node.name):
                node_conflict = True
                break
        if s.to_bind:
            static, dynamic, chosen = [], [], set()
            for claim, topology in s.to_bind:
                pv = find_matching_volume(claim, s.candidates, node, chosen) if s.candidates else None
                if pv is not None:
                    static.append((claim.pvc, pv))
                    chosen.add(pv.metadata.name)
                elif topology is None or not match_topology_terms(topology, node.labels):
                    bind_conflict = True
                    break
                else:
                    dynamic.append(claim.pvc)
            if not bind_conflict and static:  # all-dynamic is the same everywhere: not stored per node
                s.by_node[node.name] = (static, dynamic)
        reasons = [r for r, bad in ((REASON_NODE_CONFLICT, node_conflict), (REASON_BIND_CONFLICT, bind_conflict),
                                    (REASON_PV_NOT_EXIST, pv_missing)) if bad]
        return Status.unresolvable(*reasons) if reasons else SUCCESS

    def reserve(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        s: _State | None = state.read(_STATE_KEY)
        if s is None or not s.to_bind:
            return SUCCESS
        static, dynamic = s.by_node.get(node_name) or ([], [c.pvc for c, _ in s.to_bind])
        s.by_node, s.candidates = {}, []  # only the chosen node's decision is kept through PreBind
        assumed_pvs, assumed_pvcs = [], []
        for pvc, pv in static:
            new = core_pb2.PersistentVolume()
            new.CopyFrom(pv)
            ref = new.spec.claim_ref
            ref.kind, ref.api_version = "PersistentVolumeClaim", "v1"
            ref.namespace, ref.name, ref.uid = pvc.metadata.namespace, pvc.metadata.name, pvc.metadata.uid
            ref.resource_version = pvc.metadata.resource_version
            new.metadata.annotations[ANN_BOUND_BY_CONTROLLER] = "yes"
            self.volumes.assume_pv(new)
            assumed_pvs.append((pvc, new))
        for pvc in dynamic:
            new = core_pb2.PersistentVolumeClaim()
            new.CopyFrom(pvc)
            new.metadata.annotations[ANN_SELECTED_NODE] = node_name
            self.volumes.assume_pvc(new)
            assumed_pvcs.append(new)
        s.reserved = (assumed_pvs, assumed_pvcs)
        return SUCCESS

    def unreserve(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> None:
        s: _State | None = state.read(_STATE_KEY)
        if s is None:
            return
        static, dynamic = s.reserved
        for _pvc, pv in static:
            self.volumes.restore_pv(pv.metadata.name)
        for pvc in dynamic:
            self.volumes.restore_pvc(f"{pvc.metadata.namespace}/{pvc.metadata.name}")
        s.reserved = ([], [])

    async def pre_bind(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        s: _State | None = state.read(_STATE_KEY)
        if s is None or not s.to_bind:
            return SKIP  # every claim was bound already
        static, dynamic = s.reserved
        return await self.binder.bind_pod_volumes(pod, node_name, static, dynamic)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL | ActionType.UPDATE_NODE_TAINT),
                ClusterEvent("PersistentVolume", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("PersistentVolumeClaim", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("StorageClass", ActionType.ADD | ActionType.UPDATE)]
