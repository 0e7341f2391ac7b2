"""VolumeBinding's decisions (reference §5.1): PreFilter on claims, Filter per node, Reserve and
Unreserve on the assume cache. PreBind's waiting is in test_volumebinder.py."""
import pytest

from services.scheduler.framework import Code, CycleState
from services.scheduler.plugins.volume_binding import VolumeBinding
from kubelab.storage.volume import ANN_SELECTED_NODE
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, claim, node, node_info, pod, storage_class, volume

NODES = [node("node-1", labels={"topology.kubernetes.io/zone": "a"}),
         node("node-2", labels={"topology.kubernetes.io/zone": "b"})]


def plugin(claims=(), volumes=(), classes=(storage_class(),)):
    cache = VolumeCache(Store(*claims), Store(*volumes), Store(*classes))
    return VolumeBinding(cache, binder=None), cache


def filter_all(vb, p):
    state = CycleState()
    st = vb.pre_filter(state, p)
    if not st.success:
        return state, st, {}
    return state, st, {n.metadata.name: vb.filter(state, p, node_info(n)) for n in NODES}


def test_pod_without_claims_skips():
    vb, _ = plugin()
    assert vb.pre_filter(CycleState(), pod("p")).code == Code.SKIP


@pytest.mark.parametrize("c, message", [
    (None, 'persistentvolumeclaim "data" not found'),
    (claim("data", cls="fast-immediate"), "pod has unbound immediate PersistentVolumeClaims"),
    (claim("data", cls="nope"), "pod has unbound immediate PersistentVolumeClaims"),
])
def test_prefilter_rejections(c, message):
    classes = (storage_class(), storage_class("fast-immediate", mode="Immediate"))
    vb, _ = plugin(claims=[c] if c else [], classes=classes)
    st = vb.pre_filter(CycleState(), pod("p", claims=["data"]))
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, (message,))


def test_terminating_and_lost_claims():
    deleting = claim("data")
    deleting.metadata.deletion_timestamp.FromSeconds(1)
    vb, _ = plugin(claims=[deleting])
    assert vb.pre_filter(CycleState(), pod("p", claims=["data"])).reasons == (
        'persistentvolumeclaim "data" is being deleted',)
    lost = claim("data", volume="pv-x")
    lost.status.phase = "Lost"
    vb, _ = plugin(claims=[lost])
    assert vb.pre_filter(CycleState(), pod("p", claims=["data"])).reasons == (
        'persistentvolumeclaim "data" bound to non-existent persistentvolume "pv-x"',)


def test_missing_ephemeral_claim_waits_for_its_controller():
    p = pod("web")
    p.spec.volumes.add(name="scratch").ephemeral.volume_claim_template.spec.access_modes.append("ReadWriteOnce")
    vb, _ = plugin()
    assert vb.pre_filter(CycleState(), p).reasons == (
        'waiting for ephemeral volume controller to create the persistentvolumeclaim "web-scratch"',)


def test_bound_claim_restricts_nodes_to_its_volume_node_affinity():
    c = claim("data", volume="pv-1", bound=True)
    vb, _ = plugin(claims=[c], volumes=[volume("pv-1", node="node-2", claim_ref=c)])
    _, st, per_node = filter_all(vb, pod("p", claims=["data"]))
    assert st.success and per_node["node-2"].success
    assert per_node["node-1"].reasons == ("node(s) didn't match PersistentVolume's node affinity",)
    assert per_node["node-1"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_bound_claim_whose_volume_is_gone():
    vb, _ = plugin(claims=[claim("data", volume="pv-1", bound=True)])
    _, _, per_node = filter_all(vb, pod("p", claims=["data"]))
    assert per_node["node-1"].reasons == ("node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)",)


def test_wait_for_first_consumer_claim_matches_smallest_fitting_available_volume():
    c = claim("data", storage="5Gi", modes=("ReadWriteOnce",))
    volumes = [volume("too-small", storage="1Gi", node="node-1"), volume("big", storage="100Gi", node="node-1"),
               volume("right", storage="10Gi", node="node-1"), volume("other-class", storage="5Gi", cls="x"),
               volume("wrong-mode", storage="5Gi", modes=("ReadOnlyMany",), node="node-1"),
               volume("taken", storage="5Gi", claim_ref=claim("other"))]
    vb, _ = plugin(claims=[c], volumes=volumes, classes=[storage_class(provisioner="kubernetes.io/no-provisioner")])
    state, _, per_node = filter_all(vb, pod("p", claims=["data"]))
    assert per_node["node-1"].success
    assert per_node["node-2"].reasons == ("node(s) didn't find available persistent volumes to bind",)
    vb.reserve(state, pod("p", claims=["data"]), "node-1")
    static, dynamic = state.read("PreFilterVolumeBinding").reserved
    assert [pv.metadata.name for _, pv in static] == ["right"] and dynamic == []


def test_unmatched_claim_is_provisioned_where_the_class_allows():
    sc = storage_class(zones=["b"])
    vb, cache = plugin(claims=[claim("data")], classes=[sc])
    p = pod("p", claims=["data"])
    state, _, per_node = filter_all(vb, p)
    assert per_node["node-2"].success
    assert per_node["node-1"].reasons == ("node(s) didn't find available persistent volumes to bind",)
    assert vb.reserve(state, p, "node-2").success
    assert cache.pvc("default", "data").metadata.annotations[ANN_SELECTED_NODE] == "node-2"
    vb.unreserve(state, p, "node-2")
    assert ANN_SELECTED_NODE not in cache.pvc("default", "data").metadata.annotations


def test_reserved_volume_is_not_offered_to_the_next_pod():
    c1, c2 = claim("a"), claim("b")
    vb, cache = plugin(claims=[c1, c2], volumes=[volume("pv-1", node="node-1")],
                       classes=[storage_class(provisioner="kubernetes.io/no-provisioner")])
    first = pod("p1", claims=["a"])
    state, _, per_node = filter_all(vb, first)
    assert per_node["node-1"].success
    vb.reserve(state, first, "node-1")
    assert cache.pv("pv-1").spec.claim_ref.name == "a"
    _, _, per_node = filter_all(vb, pod("p2", claims=["b"]))
    assert not per_node["node-1"].success
    vb.unreserve(state, first, "node-1")
    _, _, per_node = filter_all(vb, pod("p2", claims=["b"]))
    assert per_node["node-1"].success


def test_two_claims_never_share_one_volume():
    vb, _ = plugin(claims=[claim("a"), claim("b")], volumes=[volume("pv-1", node="node-1")],
                   classes=[storage_class(provisioner="kubernetes.io/no-provisioner")])
    _, _, per_node = filter_all(vb, pod("p", claims=["a", "b"]))
    assert not per_node["node-1"].success


def test_pre_bound_volume_is_used_only_if_it_fits_the_node():
    c = claim("data")
    pv = volume("mine", node="node-2", phase="Available")
    pv.spec.claim_ref.name, pv.spec.claim_ref.namespace = "data", "default"
    vb, _ = plugin(claims=[c], volumes=[pv], classes=[storage_class(provisioner="kubernetes.io/no-provisioner")])
    _, _, per_node = filter_all(vb, pod("p", claims=["data"]))
    assert per_node["node-2"].success and not per_node["node-1"].success


def test_only_the_chosen_nodes_decision_is_kept():
    """5000 pods waiting in PreBind must not each hold a decision per node."""
    vb, _ = plugin(claims=[claim("data")])
    p = pod("p", claims=["data"])
    state, _, per_node = filter_all(vb, p)
    s = state.read("PreFilterVolumeBinding")
    assert all(st.success for st in per_node.values()) and s.by_node == {}  # all-dynamic: nothing per node
    vb.reserve(state, p, "node-1")
    static, dynamic = s.reserved
    assert static == [] and [c.metadata.name for c in dynamic] == ["data"]
    assert s.by_node == {} and s.candidates == []
