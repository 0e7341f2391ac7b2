"""persistentVolumeClaimRetentionPolicy as ownerReferences on claims (k/k `stateful_set_utils.go`:
isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod). Pure.

The controller never deletes a claim itself: it puts controller ownerReferences on claims and the
garbage collector deletes a claim once its owner is gone.

    whenDeleted  whenScaled   in-range claim    claim of a scaled-down pod
    Retain       Retain       no refs           no refs
    Delete       Retain       set               set
    Retain       Delete       no refs           pod
    Delete       Delete       set               pod

A claim controlled by something else keeps that controller: our refs are scrubbed, none added (and a
ConflictingController event says so). A ref to a set or pod of the same name but another uid is stale:
the claim belongs to an earlier incarnation and is left alone.
"""
from __future__ import annotations

from kubelab.api.v1 import apps_pb2, core_pb2, meta_pb2
from services.statefulset.utils import in_ordinal_range

__all__ = ["RETAIN", "DELETE", "retention_policy", "has_owner_ref", "has_stale_owner_ref",
           "has_unexpected_controller", "is_claim_owner_up_to_date", "update_claim_owner_refs", "claim_is_stale",
           "CONFLICTING_CONTROLLER"]

RETAIN, DELETE = "Retain", "Delete"
CONFLICTING_CONTROLLER = ("PersistentVolumeClaim {} has a conflicting OwnerReference that acts as a manging "
                          "controller, the retention policy is ignored for this claim")  # sic, as Kubernetes

_SET = ("apps/v1", "StatefulSet")
_POD = ("v1", "Pod")


def retention_policy(sts: apps_pb2.StatefulSet) -> tuple[str, str]:
    """(whenDeleted, whenScaled); unset means Retain."""
    p = sts.spec.persistent_volume_claim_retention_policy
    return p.when_deleted or RETAIN, p.when_scaled or RETAIN


def _matches_ref(ref: meta_pb2.OwnerReference, name: str, gvk: tuple[str, str]) -> bool:
    return (ref.api_version, ref.kind) == gvk and ref.name == name


def has_owner_ref(claim: core_pb2.PersistentVolumeClaim, owner) -> bool:
    uid = owner.metadata.uid
    return bool(uid) and any(r.uid == uid for r in claim.metadata.owner_references)


def has_stale_owner_ref(claim: core_pb2.PersistentVolumeClaim, owner, gvk: tuple[str, str] | None = None) -> bool:
    """The first ref naming `owner` (same kind and name) carries another uid."""
    gvk = gvk or (_POD if isinstance(owner, core_pb2.Pod) else _SET)
    for ref in claim.metadata.owner_references:
        if _matches_ref(ref, owner.metadata.name, gvk):
            return ref.uid != owner.metadata.uid
    return False


def has_unexpected_controller(claim, sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> bool:
    """Under a non-Retain policy: a controller that is neither this set nor this pod (or a stale one)."""
    if retention_policy(sts) == (RETAIN, RETAIN):
        return False
    for ref in claim.metadata.owner_references:
        if _matches_ref(ref, sts.metadata.name, _SET):
            if ref.uid != sts.metadata.uid:
                return True
            continue
        if _matches_ref(ref, pod.metadata.name, _POD):
            if ref.uid != pod.metadata.uid:
                return True
            continue
        if ref.controller:
            return True
    return False


def _has_non_controller_owner(claim, sts, pod) -> bool:
    uids = {sts.metadata.uid, pod.metadata.uid} - {""}
    return any(r.uid in uids and not r.controller for r in claim.metadata.owner_references)


def is_claim_owner_up_to_date(claim, sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> bool:
    """False when the claim's refs disagree with the retention policy (see the module's table)."""
    if has_stale_owner_ref(claim, sts, _SET) or has_stale_owner_ref(claim, pod, _POD):
        return True  # an earlier incarnation manages it: hands off
    if has_unexpected_controller(claim, sts, pod):
        return not (has_owner_ref(claim, sts) or has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, sts, pod):
        return False
    when_deleted, when_scaled = retention_policy(sts)
    set_ref, pod_ref = has_owner_ref(claim, sts), has_owner_ref(claim, pod)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == DELETE and when_deleted == DELETE:
        return set_ref != scaled_down and pod_ref == scaled_down
    if when_scaled == DELETE:
        return not set_ref and pod_ref == scaled_down
    if when_deleted == DELETE:
        return set_ref and not pod_ref
    return not set_ref and not pod_ref


def _controller_ref(owner, gvk: tuple[str, str]) -> meta_pb2.OwnerReference:
    return meta_pb2.OwnerReference(api_version=gvk[0], kind=gvk[1], name=owner.metadata.name,
                                   uid=owner.metadata.uid, controller=True, block_owner_deletion=True)


def update_claim_owner_refs(claim, sts: apps_pb2.StatefulSet, pod: core_pb2.Pod) -> None:
    """Rewrite the claim's refs to the set and pod as the policy says (changes `claim`)."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [r for r in claim.metadata.owner_references
            if not (_matches_ref(r, sts.metadata.name, _SET) or _matches_ref(r, pod.metadata.name, _POD))]
    if not unexpected:
        when_deleted, when_scaled = retention_policy(sts)
        scaled_down = not in_ordinal_range(pod, sts)
        if when_scaled == DELETE and scaled_down:
            refs.append(_controller_ref(pod, _POD))
        if when_deleted == DELETE and not (when_scaled == DELETE and scaled_down):
            refs.append(_controller_ref(sts, _SET))
    del claim.metadata.owner_references[:]
    claim.metadata.owner_references.extend(refs)


def claim_is_stale(claim: core_pb2.PersistentVolumeClaim | None, sts: apps_pb2.StatefulSet,
                   pod: core_pb2.Pod) -> bool:
    """PodClaimIsStale for one claim: under whenScaled=Delete, a claim still owned by an earlier pod of
    the same name blocks the new pod until the garbage collector has removed the claim."""
    if claim is None or retention_policy(sts)[1] == RETAIN:
        return False
    return has_stale_owner_ref(claim, pod, _POD)
