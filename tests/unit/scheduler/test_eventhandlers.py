"""Informer events sorted into the cache and the queue, and turned into requeueing cluster events."""
from services.scheduler.cache import SchedulerCache
from services.scheduler.eventhandlers import EventHandlers, node_update_action
from services.scheduler.framework import ActionType, ClusterEvent
from services.scheduler.nodeinfo import new_pod_info
from services.scheduler.queue import SchedulingQueue
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, node, pod

EVENTS = {"NodeResourcesFit": [ClusterEvent("Pod", ActionType.DELETE)],
          "TaintToleration": [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]}


def handlers():
    cache, queue = SchedulerCache(), SchedulingQueue(EVENTS)
    h = EventHandlers(cache, queue, VolumeCache(Store(), Store(), Store()),
                      lambda p: p.spec.scheduler_name == "default-scheduler")
    return h, cache, queue


def park(queue, p, plugin):
    queue.add(p)
    qpi = queue.pop_nowait()
    qpi.unschedulable_plugins = {plugin}
    queue.add_unschedulable(qpi, queue.scheduling_cycle)
    queue.move_request_cycle = -1


def test_heartbeat_is_not_a_scheduling_change():
    old, new = node("n1"), node("n1")
    new.status.conditions[0].last_heartbeat_time.FromSeconds(99)
    assert node_update_action(old, new) == 0
    new.spec.taints.add(key="k", effect="NoSchedule")
    new.status.conditions[0].status = "False"
    assert node_update_action(old, new) == ActionType.UPDATE_NODE_TAINT | ActionType.UPDATE_NODE_CONDITION


def test_pending_pods_of_other_schedulers_are_left_alone():
    h, _, queue = handlers()
    other = pod("p")
    other.spec.scheduler_name = "my-scheduler"
    h.add_pod(other)
    h.add_pod(pod("mine"))
    assert len(queue) == 1


def test_bound_pod_leaves_the_queue_and_confirms_its_assumption():
    h, cache, queue = handlers()
    h.add_node(node("n1"))
    p = pod("p", "1")
    h.add_pod(p)
    queue.pop_nowait()
    cache.assume_pod(new_pod_info(p), "n1")
    h.update_pod(p, p)  # an update of the pending pod while binding: ignored
    assert queue.where(p.metadata.uid) == "in_flight"
    bound = pod("p", "1", node_name="n1")
    h.update_pod(p, bound)
    assert queue.where(p.metadata.uid) is None and not cache.is_assumed(p.metadata.uid)
    assert cache.nodes["n1"].cpu == 1000


def test_finished_or_deleted_bound_pods_free_room_and_requeue():
    h, cache, queue = handlers()
    h.add_node(node("n1"))
    running = pod("a", "1", node_name="n1")
    h.add_pod(running)
    park(queue, pod("waiting"), "NodeResourcesFit")
    done = pod("a", "1", node_name="n1")
    done.status.phase = "Succeeded"
    h.update_pod(running, done)
    assert cache.nodes["n1"].cpu == 0 and queue.where("uid-waiting") == "backoff"  # requeued, backing off
    park(queue, pod("w2"), "NodeResourcesFit")
    h.add_pod(pod("b", "1", node_name="n1"))
    h.delete_pod(pod("b", "1", node_name="n1"))
    assert queue.where("uid-w2") == "backoff"


def test_node_taint_change_requeues_pods_rejected_by_taints_only():
    h, _, queue = handlers()
    old = node("n1", taints=[("k", "", "NoSchedule")])
    h.add_node(old)
    park(queue, pod("tainted-out"), "TaintToleration")
    park(queue, pod("too-big"), "NodeResourcesFit")
    h.update_node(old, node("n1"))
    assert queue.where("uid-tainted-out") == "backoff" and queue.where("uid-too-big") == "unschedulable"
