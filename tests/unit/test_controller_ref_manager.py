"""kubelab/controller_ref_manager.py: ClaimObject's three outcomes and the adopt/release copies."""
import pytest

from kubelab.api.v1 import apps_pb2, core_pb2, meta_pb2
from kubelab.controller_ref_manager import check_can_adopt, claim_objects, with_controller, without_owner
from kubelab.errors import ApiError


def owner(deleting: bool = False) -> apps_pb2.ReplicaSet:
    rs = apps_pb2.ReplicaSet()
    rs.metadata.name, rs.metadata.namespace, rs.metadata.uid = "web", "default", "rs-uid"
    if deleting:
        rs.metadata.deletion_timestamp.FromSeconds(1)
    return rs


def pod(name: str, app: str = "web", namespace: str = "default", deleting: bool = False) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.labels["app"] = name, namespace, app
    if deleting:
        p.metadata.deletion_timestamp.FromSeconds(1)
    return p


def matches(p) -> bool:
    return p.metadata.labels["app"] == "web"


def names(objs) -> list[str]:
    return [o.metadata.name for o in objs]


def test_claim_objects():
    rs = owner()
    foreign = pod("foreign")
    foreign.metadata.owner_references.append(meta_pb2.OwnerReference(kind="ReplicaSet", uid="x", controller=True))
    objs = [with_controller(pod("owned"), rs), with_controller(pod("stray", app="db"), rs), foreign, pod("orphan"),
            pod("other-app", app="db"), pod("elsewhere", namespace="kube-system"), pod("going", deleting=True)]
    got = claim_objects(rs, objs, matches)
    assert (names(got.owned), names(got.adopt), names(got.release)) == (["owned"], ["orphan"], ["stray"])


def test_an_owner_being_deleted_neither_adopts_nor_releases():
    rs = owner(deleting=True)
    got = claim_objects(rs, [with_controller(pod("stray", app="db"), rs), pod("orphan")], matches)
    assert not got.adopt and not got.release


def test_adopt_and_release_copies():
    rs, orphan = owner(), pod("orphan")
    adopted = with_controller(orphan, rs)
    ref = adopted.metadata.owner_references[0]
    assert (ref.kind, ref.uid, ref.controller, ref.block_owner_deletion) == ("ReplicaSet", "rs-uid", True, True)
    assert not orphan.metadata.owner_references  # the input is left alone
    assert not without_owner(adopted, ["rs-uid"]).metadata.owner_references


class _Client:
    def __init__(self, fresh):
        self.fresh = fresh

    async def get(self, kind, name, namespace):
        assert (kind, name, namespace) == ("ReplicaSet", "web", "default")
        return self.fresh


async def test_check_can_adopt_reads_the_owner_afresh():
    await check_can_adopt(_Client(owner()), owner())
    replaced = owner()
    replaced.metadata.uid = "new-uid"
    with pytest.raises(ApiError, match="original ReplicaSet default/web is gone: got uid new-uid, wanted rs-uid"):
        await check_can_adopt(_Client(replaced), owner())
    with pytest.raises(ApiError, match="default/web has just been deleted"):
        await check_can_adopt(_Client(owner(deleting=True)), owner())
