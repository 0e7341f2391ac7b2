"""VolumeRestrictions (reference §5.2): ReadWriteOncePod is one pod cluster-wide; inline disks
conflict per node; ReadWriteOnce is not checked at all."""
from collections import Counter

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import Code, CycleState
from services.scheduler.plugins.volume_restrictions import VolumeRestrictions
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, claim, node, node_info, pod, storage_class

RWOP = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"


def plugin(*claims, users=()):
    return VolumeRestrictions(VolumeCache(Store(*claims), Store(), Store(storage_class())), Counter(users))


def check(vr, p, ni):
    state = CycleState()
    st = vr.pre_filter(state, p)
    return st if not st.success else vr.filter(state, p, ni)


def test_read_write_once_pod_claim_in_use_rejects_every_node():
    vr = plugin(claim("db", modes=("ReadWriteOncePod",)), users=["default/db"])
    st = check(vr, pod("p2", claims=["db"]), node_info(node("n2")))
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, (RWOP,))


def test_free_read_write_once_pod_claim_and_read_write_once_claims_pass():
    assert check(plugin(claim("db", modes=("ReadWriteOncePod",))), pod("p", claims=["db"]),
                 node_info(node("n1"))).code == Code.SKIP
    assert check(plugin(claim("db"), users=["default/db"]), pod("p", claims=["db"]),
                 node_info(node("n1"))).code == Code.SKIP


def test_missing_claim_is_unresolvable():
    st = plugin().pre_filter(CycleState(), pod("p", claims=["db"]))
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ('persistentvolumeclaim "db" not found',))


def _disk_pod(name, read_only=False):
    p = pod(name)
    p.spec.volumes.add(name="d", gce_persistent_disk=core_pb2.GCEPersistentDiskVolumeSource(
        pd_name="disk-1", read_only=read_only))
    return p


def test_inline_disk_conflict_unless_both_read_only():
    vr = plugin()
    busy = node_info(node("n1"), _disk_pod("a"))
    assert check(vr, _disk_pod("b"), busy).reasons == ("node(s) had no available disk",)
    assert check(vr, _disk_pod("b"), node_info(node("n2"))).success
    shared = node_info(node("n3"), _disk_pod("a", read_only=True))
    assert check(vr, _disk_pod("b", read_only=True), shared).success
