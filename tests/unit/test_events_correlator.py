"""The event correlator: counting repeats, aggregating similar events, spam filtering."""
from kubelab.api.v1 import core_pb2
from kubelab.events import EventCorrelator, EventRecorder, event_name, object_reference
from kubelab.workqueue import FakeClock

T0 = 1_700_000_000.0


def pod(name="web-0", ns="default", uid="u1") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, ns, uid
    return p


def recorder(clock) -> EventRecorder:
    return EventRecorder(client=None, component="scheduler", host="h1", clock=clock,
                         correlator=EventCorrelator(clock))


def written(ev: core_pb2.Event, rv: str) -> core_pb2.Event:
    out = core_pb2.Event()
    out.CopyFrom(ev)
    out.metadata.resource_version = rv
    return out


def test_new_event_fields():
    clock = FakeClock(T0)
    ev = recorder(clock).new_event(object_reference(pod()), "Warning", "FailedScheduling", "0/3 nodes")
    assert ev.metadata.name == f"web-0.{int(T0 * 1e9):x}" == event_name("web-0", T0)
    assert ev.metadata.namespace == "default"
    assert ev.involved_object.kind == "Pod" and ev.involved_object.uid == "u1"
    assert ev.source.component == "scheduler" and ev.source.host == "h1"
    assert ev.reporting_component == "scheduler" and ev.count == 1
    assert ev.first_timestamp == ev.last_timestamp


def test_cluster_scoped_object_events_go_to_default_namespace():
    node = core_pb2.Node()
    node.metadata.name = "node-1"
    ev = recorder(FakeClock(T0)).new_event(object_reference(node), "Normal", "Starting", "x")
    assert ev.metadata.namespace == "default" and ev.involved_object.namespace == ""


def test_repeat_is_counted_on_the_same_event():
    clock = FakeClock(T0)
    rec = recorder(clock)
    first = rec.new_event(object_reference(pod()), "Normal", "Pulled", "image present")
    r1 = rec.correlator.correlate(first)
    assert r1.patch is None and r1.event.count == 1
    rec.correlator.update_state(written(r1.event, "10"))
    clock.advance(30)
    again = rec.new_event(object_reference(pod()), "Normal", "Pulled", "image present")
    r2 = rec.correlator.correlate(again)
    assert r2.event.count == 2
    assert r2.event.metadata.name == first.metadata.name
    assert r2.event.metadata.resource_version == "10"
    assert r2.event.first_timestamp == first.first_timestamp
    assert r2.event.last_timestamp.seconds == int(T0 + 30)
    assert r2.patch == {"count": 2, "message": "image present",
                        "lastTimestamp": r2.event.last_timestamp.ToJsonString()}


def test_different_message_is_a_different_event():
    clock = FakeClock(T0)
    rec = recorder(clock)
    r1 = rec.correlator.correlate(rec.new_event(object_reference(pod()), "Normal", "R", "a"))
    clock.advance(1)
    r2 = rec.correlator.correlate(rec.new_event(object_reference(pod()), "Normal", "R", "b"))
    assert r2.patch is None and r2.event.metadata.name != r1.event.metadata.name


def test_similar_events_are_combined_after_ten():
    clock = FakeClock(T0)
    rec = recorder(clock)
    results = []
    for i in range(12):
        clock.advance(1)
        results.append(rec.correlator.correlate(rec.new_event(object_reference(pod()), "Warning", "Failed", f"m{i}")))
    assert all(not r.event.message.startswith("(combined") for r in results[:9])
    tenth, eleventh = results[9], results[10]
    assert tenth.event.message == "(combined from similar events): m9" and tenth.patch is None
    assert eleventh.event.message == "(combined from similar events): m10"
    assert eleventh.event.count == 2 and eleventh.event.metadata.name == tenth.event.metadata.name


def test_aggregation_window_restarts_after_ten_minutes():
    clock = FakeClock(T0)
    rec = recorder(clock)
    for i in range(9):
        rec.correlator.correlate(rec.new_event(object_reference(pod()), "Warning", "Failed", f"m{i}"))
    clock.advance(601)
    r = rec.correlator.correlate(rec.new_event(object_reference(pod()), "Warning", "Failed", "late"))
    assert r.event.message == "late"


def test_spam_filter_burst_then_one_per_five_minutes():
    clock = FakeClock(T0)
    rec = recorder(clock)
    ref = object_reference(pod())
    accepted = [not rec.correlator.correlate(rec.new_event(ref, "Normal", "R", "same")).skip for _ in range(30)]
    assert accepted == [True] * 25 + [False] * 5
    clock.advance(299)
    assert rec.correlator.correlate(rec.new_event(ref, "Normal", "R", "same")).skip
    clock.advance(2)
    assert not rec.correlator.correlate(rec.new_event(ref, "Normal", "R", "same")).skip
    other = object_reference(pod("web-1", uid="u2"))
    assert not rec.correlator.correlate(rec.new_event(other, "Normal", "R", "same")).skip


def test_record_never_raises_and_drops_when_full():
    rec = EventRecorder(client=None, component="c", host="h", queue_size=2, clock=FakeClock(T0))
    rec.event(pod(), "Bogus", "R", "m")  # unsupported type: logged, ignored
    rec.event(object(), "Normal", "R", "m")  # not an API object: logged, ignored
    assert rec.pending() == 0
    for _ in range(5):
        rec.event(pod(), "Normal", "R", "m")
    assert rec.pending() == 1 and rec.dropped == 0  # repeats fold into the queued event
    rec.event(pod("web-1", uid="u2"), "Normal", "R", "m")
    rec.event(pod("web-2", uid="u3"), "Normal", "R", "m")
    assert rec.pending() == 2 and rec.dropped == 1


def test_a_full_queue_drops_a_repeat_of_a_written_event_before_a_first_one():
    rec = EventRecorder(client=None, component="c", host="h", queue_size=2, clock=FakeClock(T0))
    seen = rec.new_event(object_reference(pod()), "Warning", "FailedScheduling", "0/3 nodes")
    rec.correlator.update_state(written(seen, "7"))
    rec.event(pod(), "Warning", "FailedScheduling", "0/3 nodes")  # a repeat of what users saw already
    rec.event(pod("web-1", uid="u2"), "Warning", "FailedScheduling", "0/3 nodes")
    rec.event(pod("web-2", uid="u3"), "Warning", "FailedScheduling", "0/3 nodes")  # never seen: takes its place
    assert [e.involved_object.name for e in rec._pending.values()] == ["web-1", "web-2"] and rec.dropped == 1


def test_a_folded_event_raises_the_written_count_by_its_repeats():
    clock = FakeClock(T0)
    rec = recorder(clock)
    first = rec.correlator.correlate(rec.new_event(object_reference(pod()), "Warning", "R", "m")).event
    rec.correlator.update_state(written(first, "5"))
    folded = rec.new_event(object_reference(pod()), "Warning", "R", "m")
    folded.count = 4
    result = rec.correlator.correlate(folded)
    assert result.patch["count"] == 5 and result.event.metadata.name == first.metadata.name
