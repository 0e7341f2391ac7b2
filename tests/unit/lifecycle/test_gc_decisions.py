"""The garbage collector's decisions: classify owners, then keep, drop references, delete or wait."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2, meta_pb2
from kubelab.controller_ref_manager import without_owner
from services.lifecycle import gc_decisions as gc


def ref(uid: str, block: bool = True) -> meta_pb2.OwnerReference:
    return meta_pb2.OwnerReference(api_version="apps/v1", kind="ReplicaSet", name=f"rs-{uid}", uid=uid,
                                   controller=True, block_owner_deletion=block)


def obj(*refs, finalizers=(), deleting=False) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = "p", "default", "p-uid"
    p.metadata.owner_references.extend(refs)
    p.metadata.finalizers.extend(finalizers)
    if deleting:
        p.metadata.deletion_timestamp.FromSeconds(1)
    return p


def owners(solid=(), dangling=(), waiting=()):
    states = [gc.OwnerState(ref(u), True) for u in solid] + [gc.OwnerState(ref(u), False) for u in dangling]
    states += [gc.OwnerState(ref(u), True, deleting_dependents=True) for u in waiting]
    return gc.classify(states)


def test_classify():
    c = owners(solid=["a"], dangling=["b"], waiting=["c"])
    assert ([r.uid for r in c.solid], [r.uid for r in c.dangling], [r.uid for r in c.waiting]) == (["a"], ["b"], ["c"])


def test_a_solid_owner_keeps_the_object():
    assert gc.attempt_to_delete(obj(ref("a")), owners(solid=["a"]), []) == gc.Keep()


def test_a_solid_owner_keeps_it_but_references_to_gone_and_waiting_owners_are_dropped():
    decision = gc.attempt_to_delete(obj(), owners(solid=["a"], dangling=["b"], waiting=["c"]), [])
    assert decision == gc.RemoveOwnerRefs(("b", "c"))


def test_no_owner_left_deletes_in_the_background_or_as_its_finalizers_say():
    assert gc.attempt_to_delete(obj(), owners(dangling=["a"]), []) == gc.Delete("Background")
    assert gc.attempt_to_delete(obj(finalizers=["orphan"]), owners(dangling=["a"]), []) == gc.Delete("Orphan")
    assert gc.attempt_to_delete(obj(finalizers=["foregroundDeletion"]), owners(dangling=["a"]), []) == \
        gc.Delete("Foreground")


def test_a_waiting_owner_cascades_the_foreground_deletion_to_dependents_with_dependents():
    child = obj()
    assert gc.attempt_to_delete(obj(), owners(waiting=["a"]), [child]) == gc.Delete("Foreground")
    assert gc.attempt_to_delete(obj(), owners(waiting=["a"]), []) == gc.Delete("Background")
    waiting_child = obj(finalizers=["foregroundDeletion"], deleting=True)
    assert gc.attempt_to_delete(obj(), owners(waiting=["a"]), [waiting_child]) == \
        gc.Delete("Foreground", unblock_first=True)


def test_blocking_dependents_are_those_with_block_owner_deletion():
    blocking, free, other = obj(ref("o", block=True)), obj(ref("o", block=False)), obj(ref("x", block=True))
    assert gc.blocking_dependents("o", [blocking, free, other]) == [blocking]


def test_states():
    assert gc.deleting_dependents(obj(finalizers=["foregroundDeletion"], deleting=True))
    assert not gc.deleting_dependents(obj(finalizers=["foregroundDeletion"]))
    assert gc.orphaning(obj(finalizers=["orphan"], deleting=True))
    assert not gc.orphaning(obj(deleting=True))


def test_copies_change_references_and_finalizers_only_on_the_copy():
    o = obj(ref("a"), ref("b"), finalizers=["orphan", "x"])
    assert [r.uid for r in without_owner(o, ["a"]).metadata.owner_references] == ["b"]
    assert not any(r.block_owner_deletion for r in gc.unblocked(o).metadata.owner_references)
    assert list(gc.without_finalizer(o, "orphan").metadata.finalizers) == ["x"]
    assert len(o.metadata.owner_references) == 2 and o.metadata.owner_references[0].block_owner_deletion
    assert list(o.metadata.finalizers) == ["orphan", "x"]
