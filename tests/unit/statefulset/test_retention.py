"""persistentVolumeClaimRetentionPolicy through ownerReferences (TestAutodeleteOwnerRefs and the
"Non-retain StatefulSetPersistentVolumeClaimPolicy" e2e tests), and the decision that applies it."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import meta_pb2
from services.statefulset.retention import (claim_is_stale, has_unexpected_controller, is_claim_owner_up_to_date,
                                            update_claim_owner_refs)
from tests.unit.statefulset.snapshots import claim, claims_for, new_set, plan, pod, revision_of, summary


def policy(deleted: str, scaled: str) -> dict:
    return {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": deleted, "whenScaled": scaled}}


def owners(c) -> set[tuple[str, str]]:
    return {(r.kind, r.name) for r in c.metadata.owner_references if r.controller}


@pytest.mark.parametrize("deleted, scaled, in_range, scaled_down", [
    ("Retain", "Retain", set(), set()),
    ("Delete", "Retain", {("StatefulSet", "web")}, {("StatefulSet", "web")}),
    ("Retain", "Delete", set(), {("Pod", "web-2")}),
    ("Delete", "Delete", {("StatefulSet", "web")}, {("Pod", "web-2")}),
])
def test_owner_refs_follow_the_policy(deleted, scaled, in_range, scaled_down):
    sts = new_set(3, spec=policy(deleted, scaled))
    p0, p2 = pod(sts, 0), pod(sts, 2)
    c0, c2 = claim(sts, 0), claim(sts, 2)
    update_claim_owner_refs(c0, sts, p0)
    assert owners(c0) == in_range and is_claim_owner_up_to_date(c0, sts, p0)
    sts.spec.replicas = 1  # web-2 is now scaled down
    update_claim_owner_refs(c2, sts, p2)
    assert owners(c2) == scaled_down and is_claim_owner_up_to_date(c2, sts, p2)


def test_new_claims_are_created_with_the_set_ref_under_when_deleted_delete():
    sts = new_set(1, spec=policy("Delete", "Retain"))
    create = plan(sts).actions()[0]
    assert owners(create.claims[0]) == {("StatefulSet", "web")}


def test_scale_down_puts_the_pod_ref_on_claims_before_deleting_the_pod():
    """TestAutodeleteOwnerRefs: after scaling to 1, PVCs 1 and 2 get pod refs; PVC 0 never does."""
    sts = new_set(1, spec=policy("Retain", "Delete"))
    rev = revision_of(sts)
    pods = [pod(sts, o, rev=rev) for o in range(3)]
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev)
    assert summary(p) == [("update-claim", "www-web-2"), ("update-claim", "www-web-1"),
                          ("delete", "web-2", "scale down")]
    fixed = {a.claim.metadata.name: a.claim for a in p.actions() if type(a).__name__ == "UpdateClaim"}
    assert owners(fixed["www-web-2"]) == {("Pod", "web-2")}
    assert fixed["www-web-2"].metadata.owner_references[0].uid == pods[2].metadata.uid


def test_a_policy_change_rewrites_the_refs_of_running_pods():
    sts = new_set(2, spec=policy("Delete", "Retain"))
    rev = revision_of(sts)
    p = plan(sts, [pod(sts, 0, rev=rev), pod(sts, 1, rev=rev)], claims_for(sts, 0, 1), current=rev)
    assert summary(p) == [("update-claim", "www-web-0"), ("update-claim", "www-web-1")]


def test_another_controllers_claim_keeps_its_controller_and_is_warned_about():
    """should not delete PVC with OnScaledown policy if another controller owns the PVC."""
    sts = new_set(0, spec=policy("Retain", "Delete"))
    other = meta_pb2.OwnerReference(api_version="v1", kind="ConfigMap", name="cm", uid="cm-uid", controller=True)
    c1 = claim(sts, 1, owners=[other])
    p1 = pod(sts, 1)
    assert has_unexpected_controller(c1, sts, p1) and is_claim_owner_up_to_date(c1, sts, p1)
    mine = meta_pb2.OwnerReference(api_version="v1", kind="Pod", name="web-1", uid=p1.metadata.uid, controller=True)
    c1.metadata.owner_references.append(mine)
    assert not is_claim_owner_up_to_date(c1, sts, p1)
    update_claim_owner_refs(c1, sts, p1)
    assert owners(c1) == {("ConfigMap", "cm")}  # ours scrubbed, none added


def test_a_non_controller_external_owner_stays_and_the_set_ref_is_added():
    """should not delete PVCs when there is another controller: PVC 1 keeps its external ref and gains ours."""
    sts = new_set(4, spec=policy("Delete", "Retain"))
    ext = meta_pb2.OwnerReference(api_version="v1", kind="ConfigMap", name="cm", uid="cm-uid")
    c1 = claim(sts, 1, owners=[ext])
    update_claim_owner_refs(c1, sts, pod(sts, 1))
    assert {(r.kind, r.controller) for r in c1.metadata.owner_references} == {("ConfigMap", False),
                                                                             ("StatefulSet", True)}


def test_a_stale_set_ref_is_left_alone():
    sts = new_set(4, spec=policy("Delete", "Retain"))
    stale = meta_pb2.OwnerReference(api_version="apps/v1", kind="StatefulSet", name="web", uid="old-uid",
                                    controller=True)
    c3 = claim(sts, 3, owners=[stale])
    assert is_claim_owner_up_to_date(c3, sts, pod(sts, 3))


def test_a_controller_flag_set_to_false_is_reconciled_back():
    sts = new_set(2, spec=policy("Delete", "Retain"))
    ref = meta_pb2.OwnerReference(api_version="apps/v1", kind="StatefulSet", name="web", uid="set-uid",
                                  controller=False)
    c0 = claim(sts, 0, owners=[ref])
    assert not is_claim_owner_up_to_date(c0, sts, pod(sts, 0))
    update_claim_owner_refs(c0, sts, pod(sts, 0))
    assert [r.controller for r in c0.metadata.owner_references] == [True]


def test_a_claim_owned_by_an_earlier_pod_blocks_recreation_under_when_scaled_delete():
    sts = new_set(3, spec=policy("Retain", "Delete"))
    old = meta_pb2.OwnerReference(api_version="v1", kind="Pod", name="web-2", uid="old-pod", controller=True)
    c2 = claim(sts, 2, owners=[old])
    new = pod(sts, 2, phase="")
    new.metadata.uid = ""
    assert claim_is_stale(c2, sts, new)
    rev = revision_of(sts)
    claims = {**claims_for(sts, 0, 1), c2.metadata.name: c2}
    p = plan(sts, [pod(sts, 0, rev=rev), pod(sts, 1, rev=rev)], claims, current=rev)
    assert summary(p) == [] and "stale PersistentVolumeClaim www-web-2" in p.waiting
    assert not claim_is_stale(c2, new_set(3), new)  # under whenScaled=Retain claims are never stale


def test_conflicting_controller_is_warned_about_when_a_pod_is_created():
    sts = new_set(1, spec=policy("Delete", "Retain"))
    other = meta_pb2.OwnerReference(api_version="v1", kind="ConfigMap", name="cm", uid="cm-uid", controller=True)
    c0 = claim(sts, 0, owners=[other])
    p = plan(sts, [], {c0.metadata.name: c0})
    assert summary(p) == [("create", "web-0"), ("warn-claim", "www-web-0")]
