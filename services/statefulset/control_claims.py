"""The claim part of the decision: which of a pod's claims exist, and which ownerReferences to fix so that
they follow the retention policy (k/k `ClaimsMatchRetentionPolicy`, `UpdatePodClaimForRetentionPolicy`).
Pure, like `control.py`, which uses it."""
from __future__ import annotations

from collections.abc import Mapping

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.meta import copy_of
from services.statefulset.actions import UpdateClaim
from services.statefulset.retention import (has_unexpected_controller, is_claim_owner_up_to_date,
                                            update_claim_owner_refs)
from services.statefulset.utils import new_claims, ordinal_of

__all__ = ["pod_claims", "claims_match", "claim_actions"]

Claims = Mapping[str, core_pb2.PersistentVolumeClaim]


def pod_claims(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod,
               claims: Claims) -> list[tuple[core_pb2.PersistentVolumeClaim, core_pb2.PersistentVolumeClaim | None]]:
    """(the claim the pod should have, the one that exists or None), per claim template."""
    if ordinal_of(pod) < 0:
        return []
    return [(want, claims.get(want.metadata.name)) for want in new_claims(sts, ordinal_of(pod)).values()]


def claims_match(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod, claims: Claims) -> bool:
    """Every existing claim of the pod is owned as the policy says (a missing one is picked up later)."""
    return all(have is None or is_claim_owner_up_to_date(have, sts, pod) for _, have in pod_claims(sts, pod, claims))


def claim_actions(sts: apps_pb2.StatefulSet, pod: core_pb2.Pod, claims: Claims, *, warn_always: bool) -> list:
    """UpdateClaim for each existing claim whose refs disagree with the policy. A claim with a conflicting
    controller is warned about when it is rewritten, and (warn_always: on pod creation and while the pod
    is Pending, as Kubernetes does) even when there is nothing to rewrite."""
    out = []
    for _, have in pod_claims(sts, pod, claims):
        if have is None:
            continue
        conflicting = has_unexpected_controller(have, sts, pod)
        if not is_claim_owner_up_to_date(have, sts, pod):
            fixed = copy_of(have)
            update_claim_owner_refs(fixed, sts, pod)
            out.append(UpdateClaim(fixed, pod, conflicting))
        elif conflicting and warn_always:
            out.append(UpdateClaim(have, pod, True, write=False))
    return out
