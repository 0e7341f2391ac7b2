"""Adoption and release (should adopt matching orphans and release non-matching pods)."""
from __future__ import annotations

from kubelab.api.v1 import meta_pb2
from kubelab.labels import label_selector_as_selector
from kubelab.controller_ref_manager import with_controller, without_owner
from services.statefulset.ref_manager import classify_pods
from tests.unit.statefulset.snapshots import NOW, new_set, pod


def names(pods) -> list[str]:
    return [p.metadata.name for p in pods]


def orphan(sts, ordinal, **kw):
    p = pod(sts, ordinal, **kw)
    del p.metadata.owner_references[:]
    return p


def test_owned_orphaned_released_and_ignored_pods():
    sts = new_set()
    sel = label_selector_as_selector(sts.spec.selector)
    owned, adopted = pod(sts, 0), orphan(sts, 1)
    unlabelled = pod(sts, 2)
    unlabelled.metadata.labels["app"] = "other"
    foreign = orphan(sts, 3)
    foreign.metadata.owner_references.append(meta_pb2.OwnerReference(kind="StatefulSet", name="x", uid="x",
                                                                     controller=True))
    wrong_name = orphan(sts, 4)
    wrong_name.metadata.name = "db-4"
    deleting = orphan(sts, 5, terminating=True)
    got = classify_pods(sts, [owned, adopted, unlabelled, foreign, wrong_name, deleting], sel)
    assert names(got.owned) == ["web-0"] and names(got.adopt) == ["web-1"] and names(got.release) == ["web-2"]


def test_a_set_being_deleted_neither_adopts_nor_releases():
    sts = new_set()
    sts.metadata.deletion_timestamp.FromSeconds(int(NOW))
    unlabelled = pod(sts, 2)
    unlabelled.metadata.labels["app"] = "other"
    got = classify_pods(sts, [orphan(sts, 1), unlabelled], label_selector_as_selector(sts.spec.selector))
    assert not got.adopt and not got.release and not got.owned


def test_adopting_and_releasing_change_only_the_copy():
    sts = new_set()
    p = orphan(sts, 1)
    adopted = with_controller(p, sts)
    assert not p.metadata.owner_references and adopted.metadata.owner_references[0].uid == "set-uid"
    assert not without_owner(adopted, [sts.metadata.uid]).metadata.owner_references
