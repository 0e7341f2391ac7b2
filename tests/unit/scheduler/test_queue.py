"""The scheduling queue: order, backoff 1 s doubling to 10 s, unschedulable pods moved by the
events their rejecting plugins registered for, never by polling (fake clock, pop_nowait)."""
from kubelab.workqueue import FakeClock
from services.scheduler.framework import ActionType, ClusterEvent
from services.scheduler.queue import SchedulingQueue
from tests.unit.scheduler.builders import pod

EVENTS = {"NodeResourcesFit": [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE),
                               ClusterEvent("Pod", ActionType.DELETE)],
          "NodeAffinity": [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)]}


def new_queue():
    clock = FakeClock(100.0)
    return SchedulingQueue(EVENTS, clock=clock), clock


def fail(q, qpi, *plugins, error=False):
    qpi.unschedulable_plugins = set(plugins)
    q.add_unschedulable(qpi, q.scheduling_cycle, error=error)


def test_higher_priority_first_then_oldest():
    q, clock = new_queue()
    q.add(pod("low", priority=0))
    clock.advance(1)
    q.add(pod("high", priority=10))
    clock.advance(1)
    q.add(pod("low2", priority=0))
    assert [q.pop_nowait().pod.metadata.name for _ in range(3)] == ["high", "low", "low2"]
    assert q.pop_nowait() is None


def test_backoff_doubles_from_one_to_ten_seconds():
    q, _ = new_queue()
    assert [q.backoff_duration(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_error_goes_to_backoff_and_returns_when_it_expires():
    q, clock = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    fail(q, qpi, error=True)
    assert q.where(qpi.uid) == "backoff" and q.pop_nowait() is None
    clock.advance(0.99)
    assert q.pop_nowait() is None
    clock.advance(0.02)
    assert q.pop_nowait() is qpi and qpi.attempts == 2


def test_unschedulable_pod_waits_for_a_relevant_event_not_for_time():
    q, clock = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    fail(q, qpi, "NodeAffinity")
    assert q.where(qpi.uid) == "unschedulable"
    clock.advance(60)
    assert q.pop_nowait() is None
    assert q.move_all_on_event(ClusterEvent("Pod", ActionType.DELETE)) == 0
    assert q.move_all_on_event(ClusterEvent("Node", ActionType.UPDATE_NODE_ALLOCATABLE)) == 0
    assert q.move_all_on_event(ClusterEvent("Node", ActionType.UPDATE_NODE_LABEL)) == 1
    assert q.pop_nowait() is qpi  # its backoff (1 s) has long passed


def test_event_during_backoff_goes_through_backoffq():
    q, clock = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    fail(q, qpi, "NodeResourcesFit")
    q.move_all_on_event(ClusterEvent("Pod", ActionType.DELETE))
    assert q.where(qpi.uid) == "backoff" and q.pop_nowait() is None
    clock.advance(1)
    assert q.pop_nowait() is qpi


def test_event_while_the_pod_was_being_scheduled_sends_it_to_backoff():
    q, clock = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    cycle = q.scheduling_cycle
    q.move_all_on_event(ClusterEvent("Node", ActionType.ADD))  # arrives mid-attempt
    qpi.unschedulable_plugins = {"NodeAffinity"}
    q.add_unschedulable(qpi, cycle)
    assert q.where(qpi.uid) == "backoff"


def test_pods_parked_five_minutes_are_retried_anyway():
    q, clock = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    fail(q, qpi, "NodeAffinity")
    clock.advance(299)
    assert q.pop_nowait() is None
    clock.advance(31)
    assert q.pop_nowait() is qpi


def test_update_of_an_unschedulable_pod_spec_requeues_it():
    q, clock = new_queue()
    p = pod("p", node_selector={"disk": "ssd"})
    q.add(p)
    qpi = q.pop_nowait()
    fail(q, qpi, "NodeAffinity")
    clock.advance(5)
    status_only = pod("p", node_selector={"disk": "ssd"})
    status_only.status.phase = "Pending"
    q.update(status_only)
    assert q.where(qpi.uid) == "unschedulable"
    q.update(pod("p"))
    assert q.pop_nowait().pod.spec.node_selector == {}


def test_gated_pods_wait_until_their_gates_are_removed():
    q, _ = new_queue()
    gated = pod("p")
    gated.spec.scheduling_gates.add(name="example.com/wait")
    q.add(gated)
    assert q.pop_nowait() is None and q.where(gated.metadata.uid) == "gated"
    q.update(pod("p"))
    assert q.pop_nowait().pod.metadata.name == "p"


def test_deleted_pods_vanish_even_from_the_heaps():
    q, _ = new_queue()
    q.add(pod("a"))
    q.add(pod("b"))
    q.delete("uid-a")
    assert q.pop_nowait().pod.metadata.name == "b" and q.pop_nowait() is None


def test_pod_deleted_during_its_attempt_is_not_requeued():
    q, _ = new_queue()
    q.add(pod("p"))
    qpi = q.pop_nowait()
    q.delete(qpi.uid)
    fail(q, qpi, "NodeAffinity")
    assert q.where(qpi.uid) is None


async def test_pop_wakes_on_add():
    import asyncio
    q = SchedulingQueue(EVENTS)
    waiter = asyncio.create_task(q.pop())
    await asyncio.sleep(0)
    q.add(pod("p"))
    assert (await asyncio.wait_for(waiter, 5)).pod.metadata.name == "p"
    q.close()
    assert await asyncio.wait_for(q.pop(), 5) is None
