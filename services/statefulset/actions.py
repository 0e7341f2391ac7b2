"""What the decision (`control.py`) asks the effects (`pod_control.py`) to do: plain data.

A `Plan` is a list of `Step`s run in order; a step is a list of units; a unit is a list of actions run in
order, stopping at the first failure. A sequential step (OrderedReady) runs its units one after the other
and stops at the first failure; a parallel step (podManagementPolicy Parallel) runs them in slow-start
batches (1, 2, 4, ... at most 500 at once) and stops after the first batch with a failure. A failure
ends the plan: later steps do not run, and the sync is retried with backoff.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.api.v1 import apps_pb2, core_pb2

__all__ = ["CreateClaims", "CreatePod", "UpdatePod", "UpdateClaim", "DeletePod", "Action", "Step", "Plan",
           "FOR_FAILED", "FOR_SCALE_DOWN", "FOR_UPDATE"]

FOR_FAILED, FOR_SCALE_DOWN, FOR_UPDATE = "failed", "scale down", "update"


@dataclass(frozen=True)
class CreateClaims:
    """Create the pod's missing claims (an existing one is reused as it is). A claim being deleted makes
    this fail with `pvc <name> is being deleted`; `verb` names the pod event a failure reports."""
    pod: core_pb2.Pod
    claims: tuple[core_pb2.PersistentVolumeClaim, ...]
    terminating: tuple[str, ...] = ()
    verb: str = "create"


@dataclass(frozen=True)
class CreatePod:
    pod: core_pb2.Pod


@dataclass(frozen=True)
class UpdatePod:
    """Write back a pod whose identity labels or claim volumes were repaired."""
    pod: core_pb2.Pod


@dataclass(frozen=True)
class UpdateClaim:
    """Write a claim whose ownerReferences now follow the retention policy."""
    claim: core_pb2.PersistentVolumeClaim
    pod: core_pb2.Pod
    conflicting: bool = False
    """Another controller owns the claim: warn with a ConflictingController event."""
    write: bool = True
    """False: only the warning (the claim's refs are already as they should be)."""


@dataclass(frozen=True)
class DeletePod:
    pod: core_pb2.Pod
    reason: str
    """FOR_FAILED, FOR_SCALE_DOWN or FOR_UPDATE (only logged; the event is SuccessfulDelete for all)."""


Action = CreateClaims | CreatePod | UpdatePod | UpdateClaim | DeletePod


@dataclass
class Step:
    units: list[list[Action]] = field(default_factory=list)
    parallel: bool = False

    def actions(self) -> list[Action]:
        return [a for unit in self.units for a in unit]


@dataclass
class Plan:
    status: apps_pb2.StatefulSetStatus
    """The status to write (after the actions, whether or not they all succeeded)."""
    steps: list[Step] = field(default_factory=list)
    requeue_after: float | None = None
    """Sync again after this many seconds (a pod that will become available for minReadySeconds)."""
    waiting: str = ""
    """Why the plan stops where it does (for logs and tests), e.g. `waiting for web-0 to be Running and Ready`."""

    def actions(self) -> list[Action]:
        return [a for step in self.steps for a in step.actions()]
