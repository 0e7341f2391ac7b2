"""Pure helpers of the StatefulSet controller (k/k `stateful_set_utils.go`): names and ordinals, the
labels and identity the controller stamps on pods, storage, health, and new pods from a template.

Nothing here does I/O; every function takes messages and returns values or fresh messages (inputs are
never changed unless the name says so: `update_*`, `init_*`, `set_*` change the pod they are given).
"""
from __future__ import annotations

import re

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.meta import copy_of, is_terminating, new_controller_ref
from kubelab.podutil import is_pod_available, is_pod_ready

__all__ = [
    "POD_NAME_LABEL", "POD_INDEX_LABEL", "REVISION_LABEL", "parent_and_ordinal", "ordinal_of", "start_ordinal",
    "end_ordinal", "replicas_of", "in_ordinal_range", "pod_name", "claim_name", "is_member_of", "identity_matches",
    "storage_matches", "new_claims", "update_storage", "init_identity", "update_identity", "is_running_and_ready",
    "is_created", "is_pending", "is_failed", "is_succeeded", "is_healthy", "is_unavailable", "allows_burst",
    "pod_revision", "set_pod_revision", "new_stateful_set_pod", "new_versioned_pod",
]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"

_POD_NAME = re.compile(r"(.*)-([0-9]+)$")


# --- names and ordinals -------------------------------------------------------------------------------

def parent_and_ordinal(pod: core_pb2.Pod | str) -> tuple[str, int]:
    """(set name, ordinal) parsed from `<set>-<ordinal>`; ("", -1) when the name does not parse."""
    name = pod if isinstance(pod, str) else pod.metadata.name
    m = _POD_NAME.fullmatch(name)
    if m is None:
        return "", -1
    ordinal = int(m.group(2))
    return (m.group(1), ordinal) if ordinal < 2**31 else (m.group(1), -1)  # Go parses an int32


def ordinal_of(pod: core_pb2.Pod | str) -> int:
    return parent_and_ordinal(pod)[1]


def start_ordinal(sts: apps_pb2.StatefulSet) -> int:
    return sts.spec.ordinals.start if sts.spec.HasField("ordinals") else 0


def replicas_of(sts: apps_pb2.StatefulSet) -> int:
    return sts.spec.replicas if sts.spec.HasField("replicas") else 1


def end_ordinal(sts: apps_pb2.StatefulSet) -> int:
    return start_ordinal(sts) + replicas_of(sts) - 1


def in_ordinal_range(pod: core_pb2.Pod | str, sts: apps_pb2.StatefulSet) -> bool:
    return start_ordinal(sts) <= ordinal_of(pod) <= end_ordinal(sts)


def pod_name(sts: apps_pb2.StatefulSet, ordinal: int) -> str:
    return f"{sts.metadata.name}-{ordinal}"


def claim_name(sts: apps_pb2.StatefulSet, template: core_pb2.PersistentVolumeClaim, ordinal: int) -> str:
    return f"{template.metadata.name}-{sts.metadata.name}-{ordinal}"


def is_member_of(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> bool:
    return parent_and_ordinal(pod)[0] == sts.metadata.name


# --- identity and storage -----------------------------------------------------------------------------

def identity_matches(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> bool:
    """Name, namespace and pod-name label (not the hostname: it is set only at creation)."""
    parent, ordinal = parent_and_ordinal(pod)
    return (ordinal >= 0 and parent == sts.metadata.name and pod.metadata.name == pod_name(sts, ordinal)
            and pod.metadata.namespace == sts.metadata.namespace
            and pod.metadata.labels.get(POD_NAME_LABEL) == pod.metadata.name)


def storage_matches(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> bool:
    """Every claim template has a pod volume of its name pointing at the pod's own claim."""
    ordinal = ordinal_of(pod)
    if ordinal < 0:
        return False
    volumes = {v.name: v for v in pod.spec.volumes}
    for template in sts.spec.volume_claim_templates:
        v = volumes.get(template.metadata.name)
        if v is None or not v.HasField("persistent_volume_claim") or \
                v.persistent_volume_claim.claim_name != claim_name(sts, template, ordinal):
            return False
    return True


def new_claims(sts: apps_pb2.StatefulSet, ordinal: int) -> dict[str, core_pb2.PersistentVolumeClaim]:
    """{template name: the claim of the pod with this ordinal}: a copy of the template, in the set's
    namespace, with the selector's matchLabels merged over the template's labels."""
    out = {}
    for template in sts.spec.volume_claim_templates:
        claim = core_pb2.PersistentVolumeClaim()
        claim.metadata.CopyFrom(template.metadata)
        claim.spec.CopyFrom(template.spec)
        claim.metadata.name = claim_name(sts, template, ordinal)
        claim.metadata.namespace = sts.metadata.namespace
        claim.metadata.labels.update(sts.spec.selector.match_labels)
        out[template.metadata.name] = claim
    return out


def update_storage(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> None:
    """Point the pod's volumes at its claims; a template volume of the same name is replaced."""
    ordinal = ordinal_of(pod)
    claims = new_claims(sts, ordinal)
    volumes = [core_pb2.Volume(name=name, persistent_volume_claim=core_pb2.PersistentVolumeClaimVolumeSource(
        claim_name=claim.metadata.name, read_only=False)) for name, claim in claims.items()]
    volumes += [copy_of(v) for v in pod.spec.volumes if v.name not in claims]
    del pod.spec.volumes[:]
    pod.spec.volumes.extend(volumes)


def update_identity(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> None:
    ordinal = ordinal_of(pod)
    pod.metadata.name = pod_name(sts, ordinal)
    pod.metadata.namespace = sts.metadata.namespace
    pod.metadata.labels[POD_NAME_LABEL] = pod.metadata.name
    pod.metadata.labels[POD_INDEX_LABEL] = str(ordinal)


def init_identity(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> None:
    """Identity plus the fields a pod cannot change later: hostname and subdomain (= serviceName)."""
    update_identity(sts, pod)
    pod.spec.hostname = pod.metadata.name
    pod.spec.subdomain = sts.spec.service_name


# --- health -------------------------------------------------------------------------------------------

def is_running_and_ready(pod: core_pb2.Pod) -> bool:
    """isRunningAndReady: phase Running and the Ready condition True."""
    return pod.status.phase == "Running" and is_pod_ready(pod)


def is_created(pod: core_pb2.Pod) -> bool:
    return pod.status.phase != ""


def is_pending(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Pending"


def is_failed(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Failed"


def is_succeeded(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Succeeded"


def is_healthy(pod: core_pb2.Pod) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_unavailable(pod: core_pb2.Pod, min_ready_seconds: int, now: float) -> bool:
    return not is_pod_available(pod, min_ready_seconds, now) or is_terminating(pod)


def allows_burst(sts: apps_pb2.StatefulSet) -> bool:
    return sts.spec.pod_management_policy == "Parallel"


# --- pods from the template ---------------------------------------------------------------------------

def pod_revision(pod: core_pb2.Pod) -> str:
    return pod.metadata.labels.get(REVISION_LABEL, "")


def set_pod_revision(pod: core_pb2.Pod, revision: str) -> None:
    pod.metadata.labels[REVISION_LABEL] = revision


def new_stateful_set_pod(sts: apps_pb2.StatefulSet, ordinal: int) -> core_pb2.Pod:
    """controller.GetPodFromTemplate + identity + storage: the pod `<set>-<ordinal>` to create."""
    tpl = sts.spec.template
    pod = core_pb2.Pod()
    pod.metadata.labels.update(tpl.metadata.labels)
    pod.metadata.annotations.update(tpl.metadata.annotations)
    pod.metadata.finalizers.extend(tpl.metadata.finalizers)
    pod.metadata.owner_references.append(new_controller_ref(sts))
    pod.spec.CopyFrom(tpl.spec)
    pod.metadata.name = pod_name(sts, ordinal)
    init_identity(sts, pod)
    update_storage(sts, pod)
    return pod


def new_versioned_pod(current_set: apps_pb2.StatefulSet, update_set: apps_pb2.StatefulSet, current_revision: str,
                      update_revision: str, ordinal: int) -> core_pb2.Pod:
    """A new pod at the current revision below the partition (RollingUpdate), else at the update revision."""
    strategy = current_set.spec.update_strategy
    if strategy.type == "RollingUpdate":
        if strategy.HasField("rolling_update"):
            below = ordinal < start_ordinal(current_set) + strategy.rolling_update.partition
        else:
            below = ordinal < start_ordinal(current_set) + current_set.status.current_replicas
        if below:
            pod = new_stateful_set_pod(current_set, ordinal)
            set_pod_revision(pod, current_revision)
            return pod
    pod = new_stateful_set_pod(update_set, ordinal)
    set_pod_revision(pod, update_revision)
    return pod
