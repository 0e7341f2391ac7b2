"""The decision of the StatefulSet controller (k/k `stateful_set_control.go`), a pure function of a
snapshot: given the set, its pods, the namespace's claims, the current and update revisions and the
clock, `plan_sync` returns the actions to take and the status to write. No I/O; table-tested.

The rules, in the order a sync applies them (§1 of the behaviour reference):

1. Pods are sorted into ordinal slots `[start, start+replicas)` and *condemned* pods outside the range.
   An empty slot gets a new pod: at the current revision below the partition, else the update revision.
2. Each slot in ascending order: a Failed/Succeeded pod is deleted (its replacement comes once it is
   gone); a missing pod is created, claims first; a Pending pod gets any claim deleted under it back;
   identity, storage and claim ownership are repaired. OrderedReady stops at the first pod created,
   terminating, not Running and Ready, or not available for minReadySeconds; Parallel does them all.
3. Only when no slot blocked: condemned pods' claims get their retention ownerReferences, then the
   condemned are deleted, highest ordinal first and one at a time (OrderedReady), or all (Parallel).
4. Then updates (RollingUpdate only; OnDelete waits for users to delete pods): the highest outdated pod
   at or above the partition is deleted, one at a time, each replacement available before the next;
   with maxUnavailable, up to that many unavailable at once.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.meta import copy_of, is_terminating
from kubelab.podutil import is_pod_available
from services.statefulset import history as hist
from services.statefulset.actions import (FOR_FAILED, FOR_SCALE_DOWN, FOR_UPDATE, CreateClaims, CreatePod,
                                          DeletePod, Plan, Step, UpdatePod)
from services.statefulset.control_claims import claim_actions, claims_match, pod_claims
from services.statefulset.retention import claim_is_stale, update_claim_owner_refs
from services.statefulset.status import complete_rolling_update, replica_status, requeue_after
from services.statefulset.utils import (allows_burst, identity_matches, in_ordinal_range, is_created, is_failed,
                                        is_pending, is_running_and_ready, is_succeeded, is_unavailable,
                                        new_versioned_pod, ordinal_of, pod_revision, replicas_of, start_ordinal,
                                        storage_matches, update_identity, update_storage)

__all__ = ["Snapshot", "plan_sync", "max_unavailable"]


@dataclass(frozen=True)
class Snapshot:
    set: apps_pb2.StatefulSet
    pods: Sequence[core_pb2.Pod]
    """The pods the set owns (after adoption and release)."""
    claims: Mapping[str, core_pb2.PersistentVolumeClaim]
    """Claims of the set's namespace, by name."""
    current_revision: apps_pb2.ControllerRevision
    update_revision: apps_pb2.ControllerRevision
    collision_count: int
    now: float
    """Seconds since the epoch (Ready conditions carry wall-clock times)."""


def _slots(s: Snapshot) -> tuple[list[core_pb2.Pod], list[core_pb2.Pod]]:
    sts, start = s.set, start_ordinal(s.set)
    replicas: list[core_pb2.Pod | None] = [None] * replicas_of(sts)
    condemned = []
    for pod in s.pods:
        if in_ordinal_range(pod, sts):
            replicas[ordinal_of(pod) - start] = pod
        elif ordinal_of(pod) >= 0:
            condemned.append(pod)
    current_set = hist.apply_revision(sts, s.current_revision)
    update_set = hist.apply_revision(sts, s.update_revision)
    for i, pod in enumerate(replicas):
        if pod is None:
            replicas[i] = new_versioned_pod(current_set, update_set, s.current_revision.metadata.name,
                                            s.update_revision.metadata.name, start + i)
    condemned.sort(key=ordinal_of, reverse=True)
    return replicas, condemned


def plan_sync(s: Snapshot) -> Plan:
    sts, now, min_ready = s.set, s.now, s.set.spec.min_ready_seconds
    status = apps_pb2.StatefulSetStatus(
        observed_generation=sts.metadata.generation, current_revision=s.current_revision.metadata.name,
        update_revision=s.update_revision.metadata.name, collision_count=s.collision_count)
    status.conditions.extend(sts.status.conditions)
    revs = (s.current_revision.metadata.name, s.update_revision.metadata.name)
    if sts.metadata.HasField("deletion_timestamp"):  # the garbage collector does the rest
        replica_status(status, s.pods, min_ready, now, *revs)
        return _finish(Plan(status, waiting="StatefulSet is being deleted"), sts, s.pods, now)

    replicas, condemned = _slots(s)
    replica_status(status, replicas + condemned, min_ready, now, *revs)
    plan = Plan(status)
    monotonic = not allows_burst(sts)

    step = Step(parallel=not monotonic)
    for pod in replicas:
        unit, block = _process_replica(s, pod, monotonic)
        if unit:
            step.units.append(unit)
        if block and monotonic:
            plan.steps.append(step)
            plan.waiting = block
            return _finish(plan, sts, replicas + condemned, now)
    plan.steps.append(step)

    plan.steps.append(Step([u for pod in condemned if (u := claim_actions(sts, pod, s.claims, warn_always=False))],
                           parallel=not monotonic))

    first_unavailable = next((p for p in replicas if is_unavailable(p, min_ready, now)), None) or \
        next((p for p in reversed(condemned) if is_unavailable(p, min_ready, now)), None)
    step = Step(parallel=not monotonic)
    plan.steps.append(step)
    for pod in condemned:
        if is_terminating(pod):
            if monotonic:
                plan.waiting = f"waiting for Pod {pod.metadata.name} to Terminate prior to scale down"
                return _finish(plan, sts, replicas + condemned, now)
            continue
        healthy = is_running_and_ready(pod) and is_pod_available(pod, min_ready, now)
        if monotonic and pod is not first_unavailable and not healthy:
            plan.waiting = (f"waiting for Pod {first_unavailable.metadata.name} to be Running and Ready prior "
                            "to scale down")
            return _finish(plan, sts, replicas + condemned, now)
        step.units.append([DeletePod(pod, FOR_SCALE_DOWN)])
        if monotonic:
            plan.waiting = f"scaling down: Pod {pod.metadata.name} is terminating"
            return _finish(plan, sts, replicas + condemned, now)

    if sts.spec.update_strategy.type == "RollingUpdate":
        _rolling_update(plan, sts, replicas, s.update_revision.metadata.name, now)
    return _finish(plan, sts, replicas + condemned, now)


def _finish(plan: Plan, sts: apps_pb2.StatefulSet, pods: Sequence[core_pb2.Pod], now: float) -> Plan:
    plan.steps = [step for step in plan.steps if step.units]
    complete_rolling_update(sts, plan.status)
    plan.requeue_after = requeue_after(sts, plan.status, pods, now)
    return plan


def _process_replica(s: Snapshot, pod: core_pb2.Pod, monotonic: bool) -> tuple[list, str]:
    """One slot's actions, and why the slot blocks later ones (OrderedReady) or ""."""
    sts, name, min_ready = s.set, pod.metadata.name, s.set.spec.min_ready_seconds
    if is_failed(pod) or is_succeeded(pod):
        unit = [] if is_terminating(pod) else [DeletePod(pod, FOR_FAILED)]
        return unit, f"waiting for {pod.status.phase} Pod {name} to be replaced"
    unit: list = []
    if not is_created(pod):
        stale = [have for _, have in pod_claims(sts, pod, s.claims) if claim_is_stale(have, sts, pod)]
        if stale:
            return [], f"waiting for stale PersistentVolumeClaim {stale[0].metadata.name} to be removed"
        unit += _create_claims(sts, pod, s.claims, "create")
        unit.append(CreatePod(pod))
        unit += claim_actions(sts, pod, s.claims, warn_always=True)
        return unit, f"waiting for Pod {name} to be created" if monotonic else ""
    claims_done = False
    if is_pending(pod):
        unit += _create_claims(sts, pod, s.claims, "")
        unit += claim_actions(sts, pod, s.claims, warn_always=True)
        claims_done = True
    if monotonic:
        if is_terminating(pod):
            return unit, f"waiting for Pod {name} to Terminate"
        if not is_running_and_ready(pod):
            return unit, f"waiting for Pod {name} to be Running and Ready"
        if not is_pod_available(pod, min_ready, s.now):
            return unit, f"waiting for Pod {name} to be Available"
    retention_ok = claims_done or claims_match(sts, pod, s.claims)
    if identity_matches(sts, pod) and storage_matches(sts, pod) and retention_ok:
        return unit, ""
    fixed = copy_of(pod)
    if not identity_matches(sts, fixed):
        update_identity(sts, fixed)
    if not storage_matches(sts, fixed):
        update_storage(sts, fixed)
        unit += _create_claims(sts, fixed, s.claims, "update")
    if not retention_ok:
        unit += claim_actions(sts, fixed, s.claims, warn_always=False)
    if fixed != pod:
        unit.append(UpdatePod(fixed))
    return unit, ""


def _create_claims(sts, pod, claims, verb: str) -> list:
    """Claims missing (to create, with the set's ref if whenDeleted=Delete) or being deleted (an error)."""
    new, terminating = [], []
    for want, have in pod_claims(sts, pod, claims):
        if have is None:
            update_claim_owner_refs(want, sts, pod)
            new.append(want)
        elif have.metadata.HasField("deletion_timestamp"):
            terminating.append(have.metadata.name)
    return [CreateClaims(pod, tuple(new), tuple(terminating), verb)] if new or terminating else []


def max_unavailable(sts: apps_pb2.StatefulSet, replicas: int) -> int:
    """rollingUpdate.maxUnavailable as a number of pods: a percent rounds down, never below 1."""
    value = sts.spec.update_strategy.rolling_update.max_unavailable
    kind = value.WhichOneof("kind")
    if kind == "string_value" and value.string_value.endswith("%"):
        n = math.floor(int(value.string_value[:-1]) * replicas / 100)
    elif kind == "string_value":
        n = int(value.string_value)
    elif kind == "number_value":
        n = int(value.number_value)
    else:
        n = 1
    return max(n, 1)


def _rolling_update(plan: Plan, sts, replicas: list[core_pb2.Pod], update_revision: str, now: float) -> None:
    ru, min_ready = sts.spec.update_strategy.rolling_update, sts.spec.min_ready_seconds
    partition = ru.partition if sts.spec.update_strategy.HasField("rolling_update") else 0
    outdated = [p for p in reversed(replicas[partition:])
                if pod_revision(p) != update_revision and not is_terminating(p)]
    step = Step()
    plan.steps.append(step)
    if ru.HasField("max_unavailable"):
        limit = max_unavailable(sts, len(replicas))
        unavailable = sum(1 for p in replicas if is_unavailable(p, min_ready, now))
        if unavailable > limit:
            plan.waiting = f"waiting: {unavailable} Pods unavailable, more than maxUnavailable {limit}"
            return
        for pod in outdated[:limit - unavailable]:
            step.units.append([DeletePod(pod, FOR_UPDATE)])
            plan.status.current_replicas -= 1
        return
    for pod in reversed(replicas[partition:]):
        if pod_revision(pod) != update_revision and not is_terminating(pod):
            step.units.append([DeletePod(pod, FOR_UPDATE)])
            plan.status.current_replicas -= 1
            plan.waiting = f"rolling update: Pod {pod.metadata.name} is terminating for update"
            return
        if is_unavailable(pod, min_ready, now):
            plan.waiting = f"waiting for Pod {pod.metadata.name} to update"
            return
