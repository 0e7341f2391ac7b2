"""The scheduler cache: assumed pods count until confirmed, forgotten or expired."""
from kubelab.workqueue import FakeClock
from services.scheduler.cache import SchedulerCache
from services.scheduler.nodeinfo import new_pod_info
from tests.unit.scheduler.builders import node, pod


def new_cache():
    clock = FakeClock()
    cache = SchedulerCache(clock=clock, ttl=30)
    cache.set_node(node("n1"))
    cache.set_node(node("n2"))
    return cache, clock


def test_assume_then_confirm_by_the_informer():
    cache, _ = new_cache()
    p = pod("p", "1", claims=["db"])
    cache.assume_pod(new_pod_info(p), "n1")
    assert cache.is_assumed(p.metadata.uid) and cache.nodes["n1"].cpu == 1000
    assert cache.claim_users["default/db"] == 1
    p.spec.node_name = "n1"
    cache.add_pod(p)
    assert not cache.is_assumed(p.metadata.uid) and cache.nodes["n1"].cpu == 1000
    cache.remove_pod(p.metadata.uid)
    assert cache.nodes["n1"].cpu == 0 and "default/db" not in cache.claim_users


def test_confirmation_on_another_node_moves_the_pod():
    cache, _ = new_cache()
    p = pod("p", "1")
    cache.assume_pod(new_pod_info(p), "n1")
    p.spec.node_name = "n2"
    cache.add_pod(p)
    assert cache.nodes["n1"].cpu == 0 and cache.nodes["n2"].cpu == 1000


def test_forget_frees_the_place():
    cache, _ = new_cache()
    p = pod("p", "1")
    cache.assume_pod(new_pod_info(p), "n1")
    cache.forget_pod(p.metadata.uid)
    assert cache.nodes["n1"].cpu == 0 and not cache.has_pod(p.metadata.uid)


def test_assumed_pod_expires_only_after_its_binding_finished():
    cache, clock = new_cache()
    p = pod("p", "1")
    cache.assume_pod(new_pod_info(p), "n1")
    clock.advance(100)
    assert cache.cleanup_expired() == []  # still binding (e.g. waiting for volumes)
    cache.finish_binding(p.metadata.uid)
    clock.advance(29)
    assert cache.cleanup_expired() == []
    clock.advance(1)
    assert cache.cleanup_expired() == ["default/p"] and cache.nodes["n1"].cpu == 0


def test_deleted_node_lingers_while_pods_are_known():
    cache, _ = new_cache()
    p = pod("p", "1", node_name="n1")
    cache.add_pod(p)
    cache.remove_node("n1")
    assert [n.name for n in cache.node_infos()] == ["n2"] and "n1" in cache.nodes
    cache.remove_pod(p.metadata.uid)
    assert "n1" not in cache.nodes
