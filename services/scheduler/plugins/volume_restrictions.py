"""VolumeRestrictions: a ReadWriteOncePod claim admits one pod in the whole cluster, and two pods
on one node may not both write one inline GCE persistent disk (plugins/volumerestrictions;
reference §5.2). Plain ReadWriteOnce is *not* a scheduling constraint: it is enforced at attach time.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import SKIP, SUCCESS, ActionType, ClusterEvent, CycleState, Status
from services.scheduler.nodeinfo import NodeInfo

__all__ = ["VolumeRestrictions", "REASON_RWOP_CONFLICT", "REASON_DISK_CONFLICT"]

NAME = "VolumeRestrictions"
REASON_RWOP_CONFLICT = ("node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod "
                        "access mode")
REASON_DISK_CONFLICT = "node(s) had no available disk"
_RWOP_REJECT = Status.unschedulable(REASON_RWOP_CONFLICT)
_DISK_REJECT = Status.unschedulable(REASON_DISK_CONFLICT)
_STATE_KEY = "PreFilterVolumeRestrictions"


@dataclass(frozen=True)
class _State:
    conflicting_rwop: int
    disks: tuple[tuple[str, bool], ...]
    """Inline GCE PDs of the pod: (pdName, readOnly)."""


def _inline_disks(pod: core_pb2.Pod) -> tuple[tuple[str, bool], ...]:
    return tuple((v.gce_persistent_disk.pd_name, v.gce_persistent_disk.read_only)
                 for v in pod.spec.volumes if v.HasField("gce_persistent_disk"))


class VolumeRestrictions:
    name = NAME

    def __init__(self, volumes, claim_users: Counter):
        """`volumes`: a VolumeCache; `claim_users`: the scheduler cache's claim -> pods count."""
        self.volumes, self.claim_users = volumes, claim_users

    def pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        ns = pod.metadata.namespace
        conflicting = 0
        for v in pod.spec.volumes:
            if not v.HasField("persistent_volume_claim"):
                continue
            name = v.persistent_volume_claim.claim_name
            pvc = self.volumes.pvc(ns, name)
            if pvc is None:
                return Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if "ReadWriteOncePod" in pvc.spec.access_modes and self.claim_users.get(f"{ns}/{name}", 0) > 0:
                conflicting += 1
        disks = _inline_disks(pod)
        if not conflicting and not disks:
            return SKIP
        state.write(_STATE_KEY, _State(conflicting, disks))
        return SUCCESS

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        s: _State = state.read(_STATE_KEY)
        if s.conflicting_rwop > 0:
            return _RWOP_REJECT
        for other in node.pods.values():
            for pd, read_only in _inline_disks(other.pod):
                if any(pd == mine and not (read_only and my_ro) for mine, my_ro in s.disks):
                    return _DISK_REJECT
        return SUCCESS

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", ActionType.DELETE), ClusterEvent("Node", ActionType.ADD),
                ClusterEvent("PersistentVolumeClaim", ActionType.ADD | ActionType.UPDATE)]
