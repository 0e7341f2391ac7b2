"""Timeline entries from objects' own timestamps, from watch diffs and from Events; the journal's lines."""

from __future__ import annotations

from kubelab.labels import parse_selector
from kubelab.observe.changes import diff, event_entry, past
from kubelab.observe.entries import format_entry, parse_time
from kubelab.observe.timeline import Filter, journal_entries, reconstruct


def pod(**status) -> dict:
    return {"kind": "Pod", "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"},
                                        "creationTimestamp": "2026-12-05T12:00:00Z",
                                        "ownerReferences": [{"kind": "StatefulSet", "controller": True}]},
            "spec": {"nodeName": "node-2"}, "status": status}


def whats(entries) -> list[tuple[str, str]]:
    return [(e.actor, e.what) for e in entries]


def test_a_pods_past_from_its_timestamps_in_the_order_things_happen():
    p = pod(conditions=[{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-12-05T12:00:00Z"},
                        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-05T12:00:00Z"}])
    p["metadata"].update(deletionTimestamp="2026-12-05T12:00:40Z", deletionGracePeriodSeconds=30)
    assert whats(past(p)) == [("statefulset-controller", "created"), ("default-scheduler", "scheduled to node-2"),
                              ("kubelet/node-2", "Ready"), ("-", "Terminating (grace 30s)")]
    # deletionTimestamp is when the grace period ends: the delete was asked for 30 s earlier.
    assert int(past(p)[-1].time) == int(parse_time("2026-12-05T12:00:10Z"))


def test_a_silent_nodes_unknown_condition_and_taint_are_the_node_controllers():
    node = {"kind": "Node", "metadata": {"name": "node-2", "creationTimestamp": "2026-12-05T12:00:00Z"},
            "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                 "timeAdded": "2026-12-05T12:01:00.500Z"}]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                                       "message": "Kubelet stopped posting node status.",
                                       "lastTransitionTime": "2026-12-05T12:01:00.400Z"}]}}
    assert whats(past(node))[1:] == [
        ("node-controller", "NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)"),
        ("node-controller", "taint node.kubernetes.io/unreachable:NoExecute added")]


def test_watch_diffs_name_what_changed():
    before = pod(phase="Pending")
    before["spec"] = {}
    after = pod(phase="Running", conditions=[{"type": "Ready", "status": "True"}])
    assert whats(diff(before, after, 1.0)) == [("default-scheduler", "scheduled to node-2"),
                                               ("kubelet/node-2", "phase Running"), ("kubelet/node-2", "Ready")]
    assert whats(diff(after, None, 2.0)) == [("-", "deleted")]
    lease = {"kind": "Lease", "metadata": {"name": "scheduler", "namespace": "kube-system"},
             "spec": {"holderIdentity": "a"}}
    took = {**lease, "spec": {"holderIdentity": "b"}}
    assert whats(diff(lease, took, 3.0)) == [("b", "leader: b (was a)")]
    node_lease = {**lease, "metadata": {"name": "node-1", "namespace": "kube-node-lease"}}
    assert diff(node_lease, {**node_lease, "spec": {"holderIdentity": "x"}}, 4.0) == []


def test_an_event_is_placed_at_its_first_occurrence_with_its_count():
    e = event_entry({"type": "Warning", "reason": "FailedScheduling", "message": "no nodes available",
                     "count": 3, "firstTimestamp": "2026-12-05T12:00:01.250000Z",
                     "lastTimestamp": "2026-12-05T12:00:09.000000Z", "source": {"component": "default-scheduler"},
                     "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-0"}})
    assert e.time == parse_time("2026-12-05T12:00:01.25Z") and e.actor == "default-scheduler"
    assert e.what.startswith("Warning FailedScheduling: no nodes available (x3 until ")
    assert "Pod/web-0" in format_entry(e)


def test_reconstruct_merges_sorts_and_filters():
    journal = [{"time": parse_time("2026-12-05T12:00:00.5Z"), "event": "killed", "name": "scheduler"}]
    objects = {"Pod": [pod()], "Node": [{"kind": "Node", "metadata": {"name": "node-1",
                                                                      "creationTimestamp": "2026-12-05T11:00:00Z"}}]}
    everything = reconstruct(objects, [], journal, Filter())
    assert [(e.object, e.what.split(" (")[0]) for e in everything] == [
        ("Node/node-1", "created"), ("Component/scheduler", "killed"), ("Pod/web-0", "created")]
    other = reconstruct(objects, [], journal, Filter(selector=parse_selector("app=db")))
    assert [e.object for e in other] == ["Node/node-1", "Component/scheduler"]  # context is kept
    recent = reconstruct(objects, [], journal, Filter(since=parse_time("2026-12-05T12:00:00.2Z"),
                                                      kinds=frozenset({"Pod"})))
    assert [e.object for e in recent] == ["Pod/web-0"]
    assert journal_entries([{"time": 1, "event": "partitioned", "name": "node-2", "mode": "reject"}])[0].what \
        == "partitioned: its connection to its upstream is cut (new connections refused)"
