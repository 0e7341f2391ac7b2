"""The node lifecycle decisions on a fake clock: when a node goes Unknown, which taints it gets, which pods of a
not-ready node are marked NotReady, and when a pod on a NoExecute-tainted node is evicted."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import coordination_pb2, core_pb2
from services.lifecycle import node_lifecycle_decisions as nld

T0 = 1_000_000.0
GRACE, STARTUP = 50.0, 60.0


def node(ready: str | None = "True", heartbeat: float | None = T0, created: float = T0 - 1000,
         taints: tuple = ()) -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = "node-1"
    n.metadata.creation_timestamp.FromSeconds(int(created))
    if ready is not None:
        for ctype, status in (("MemoryPressure", "False"), ("Ready", ready)):
            c = n.status.conditions.add(type=ctype, status=status, reason="Kubelet", message="ok")
            c.last_transition_time.FromSeconds(int(created))
            if heartbeat is not None:
                c.last_heartbeat_time.FromSeconds(int(heartbeat))
    for key, effect, added in taints:
        t = n.spec.taints.add(key=key, effect=effect)
        if added is not None:
            t.time_added.FromSeconds(int(added))
    return n


def lease(renewed: float) -> coordination_pb2.Lease:
    out = coordination_pb2.Lease()
    out.metadata.name, out.metadata.namespace = "node-1", "kube-node-lease"
    out.spec.renew_time.FromSeconds(int(renewed))
    return out


def conditions(n) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in n.status.conditions}


@pytest.mark.parametrize("case, n, lse, now, marked", [
    ("fresh status", node(heartbeat=T0), None, T0 + 49, False),
    ("status at the grace period", node(heartbeat=T0), None, T0 + 50, True),
    ("stale status, fresh lease", node(heartbeat=T0 - 500), lease(T0), T0 + 10, False),
    ("stale lease, fresh status", node(heartbeat=T0), lease(T0 - 500), T0 + 10, False),
    ("both stale", node(heartbeat=T0 - 100), lease(T0 - 60), T0, True),
    ("new node in its startup grace", node(ready=None, created=T0), None, T0 + 59, False),
    ("new node past its startup grace", node(ready=None, created=T0), None, T0 + 60, True),
    ("never reported, but a lease", node(ready=None, created=T0 - 1000), lease(T0), T0 + 30, False),
])
def test_when_a_node_goes_unknown(case, n, lse, now, marked):
    out, _ = nld.node_health(n, lse, now, GRACE, STARTUP)
    assert (out is not None) == marked, case


@pytest.mark.parametrize("now, marked", [(T0 + 149, False), (T0 + 150, True)])
def test_the_grace_period_starts_no_earlier_than_the_controller_began_watching(now, marked):
    """The API server was down from T0 + 5 to T0 + 100: nobody could renew a lease nor see one, and
    the controller's leadership term began again at T0 + 100."""
    out, _ = nld.node_health(node(heartbeat=T0), lease(T0), now, GRACE, STARTUP, watching_since=T0 + 100)
    assert (out is not None) == marked


def test_stale_node_conditions_all_go_unknown_keeping_heartbeats():
    n = node(heartbeat=T0)
    out, _ = nld.node_health(n, None, T0 + 60, GRACE, STARTUP)
    conds = conditions(out)
    assert conds["Ready"] == ("Unknown", nld.UNKNOWN_REASON, "Kubelet stopped posting node status.")
    assert conds["MemoryPressure"] == ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert conds["DiskPressure"] == ("Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.")
    ready = next(c for c in out.status.conditions if c.type == "Ready")
    assert ready.last_heartbeat_time.seconds == T0 and ready.last_transition_time.seconds == T0 + 60
    assert conditions(n)["Ready"][0] == "True"  # the input is not changed
    again, _ = nld.node_health(out, None, T0 + 70, GRACE, STARTUP)
    assert again is None  # already Unknown: nothing to write


def test_a_node_that_never_reported_gets_ready_unknown():
    out, _ = nld.node_health(node(ready=None, created=T0), None, T0 + 61, GRACE, STARTUP)
    assert conditions(out)["Ready"] == ("Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.")


UNR, NR = nld.UNREACHABLE, nld.NOT_READY


@pytest.mark.parametrize("ready, taints, want", [
    ("Unknown", (), {(UNR, "NoExecute"), (UNR, "NoSchedule")}),
    ("False", (), {(NR, "NoExecute"), (NR, "NoSchedule")}),
    ("True", ((UNR, "NoExecute", T0), (UNR, "NoSchedule", None)), set()),
    ("False", ((UNR, "NoExecute", T0), (UNR, "NoSchedule", None)), {(NR, "NoExecute"), (NR, "NoSchedule")}),
    ("Unknown", (("dedicated", "NoExecute", T0),),
     {("dedicated", "NoExecute"), (UNR, "NoExecute"), (UNR, "NoSchedule")}),
])
def test_taints_follow_ready(ready, taints, want):
    n = node(ready=ready, taints=taints)
    out = nld.with_taints(n, T0 + 5)
    assert out is not None
    assert {(t.key, t.effect) for t in out.spec.taints} == want
    for t in out.spec.taints:
        if t.key in (UNR, NR) and t.effect == "NoExecute" and (t.key, t.effect, T0) not in taints:
            assert t.time_added.seconds == T0 + 5  # NoExecute taints carry timeAdded
    assert nld.with_taints(out, T0 + 6) is None  # nothing more to do


def test_taints_already_right_are_left_alone():
    assert nld.with_taints(node(ready="True"), T0) is None
    assert nld.with_taints(node(ready="True", taints=(("dedicated", "NoSchedule", None),)), T0) is None
    assert nld.with_taints(node(ready="Unknown", taints=((UNR, "NoExecute", T0), (UNR, "NoSchedule", None))),
                           T0) is None


def pod(*tolerations, deleting=False, phase="Running") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = "x", "default"
    p.spec.node_name = "node-1"
    p.status.phase = phase
    if deleting:
        p.metadata.deletion_timestamp.FromSeconds(int(T0))
    for key, op, effect, seconds in tolerations:
        t = p.spec.tolerations.add(key=key, operator=op, effect=effect)
        if seconds is not None:
            t.toleration_seconds = seconds
    return p


def with_ready(p: core_pb2.Pod, status: str | None, since: float = T0 - 100) -> core_pb2.Pod:
    """The pod with the conditions a kubelet reports; Ready `status` (None: no Ready condition yet)."""
    scheduled = p.status.conditions.add(type="PodScheduled", status="True")
    scheduled.last_transition_time.FromSeconds(int(since))
    if status is not None:
        c = p.status.conditions.add(type="Ready", status=status)
        c.last_transition_time.FromSeconds(int(since))
    p.status.container_statuses.add(name="c", ready=status == "True")
    return p


@pytest.mark.parametrize("case, p, marked", [
    ("ready", with_ready(pod(), "True"), True),
    ("ready unknown", with_ready(pod(), "Unknown"), True),
    ("terminating, still ready (not skipped, as upstream)", with_ready(pod(deleting=True), "True"), True),
    ("already not ready", with_ready(pod(), "False"), False),
    ("finished, not ready", with_ready(pod(phase="Succeeded"), "False"), False),
    ("no Ready condition yet", with_ready(pod(phase="Pending"), None), False),
])
def test_which_pods_of_a_not_ready_node_are_marked(case, p, marked):
    out = nld.pod_not_ready(p, T0)
    assert (out is not None) == marked, case
    if out is not None:
        assert nld.ready_status(out) == "False", case
        assert nld.pod_not_ready(out, T0 + 1) is None, case  # nothing more to do


def test_a_marked_pod_keeps_all_but_its_ready_status_and_transition_time():
    p = with_ready(pod(), "True")
    ready = next(c for c in p.status.conditions if c.type == "Ready")
    ready.reason, ready.message = "SomeReason", "some message"
    ready.last_probe_time.FromSeconds(int(T0 - 5))
    out = nld.pod_not_ready(p, T0 + 0.75)
    got = next(c for c in out.status.conditions if c.type == "Ready")
    assert (got.status, got.reason, got.message) == ("False", "SomeReason", "some message")
    assert (got.last_transition_time.seconds, got.last_transition_time.nanos) == (T0, 0)  # as the kubelet's
    assert got.last_probe_time.seconds == T0 - 5
    assert [(c.type, c.status) for c in out.status.conditions] == [("PodScheduled", "True"), ("Ready", "False")]
    assert out.status.container_statuses[0].ready  # containerStatuses are the kubelet's, left alone
    assert nld.ready_status(p) == "True" and ready.last_transition_time.seconds == T0 - 100  # the input is not changed


@pytest.mark.parametrize("obj, want", [
    (node(ready="True"), "True"), (node(ready="Unknown"), "Unknown"), (node(ready=None), ""),
    (with_ready(pod(), "False"), "False"), (pod(), ""),
])
def test_ready_status(obj, want):
    assert nld.ready_status(obj) == want


UNREACHABLE_NODE = node(ready="Unknown", taints=((UNR, "NoExecute", T0), (UNR, "NoSchedule", None)))
DEFAULTS = ((NR, "Exists", "NoExecute", 300), (UNR, "Exists", "NoExecute", 300))


@pytest.mark.parametrize("case, p, n, now, want", [
    ("no toleration: now", pod(), UNREACHABLE_NODE, T0, nld.Eviction(delete=True)),
    ("default 300 s, just tainted", pod(*DEFAULTS), UNREACHABLE_NODE, T0 + 1, nld.Eviction(after=299)),
    ("default 300 s, run out", pod(*DEFAULTS), UNREACHABLE_NODE, T0 + 300, nld.Eviction(delete=True)),
    ("2 s", pod((UNR, "Exists", "NoExecute", 2)), UNREACHABLE_NODE, T0 + 0.5, nld.Eviction(after=1.5)),
    ("2 s, run out", pod((UNR, "Exists", "NoExecute", 2)), UNREACHABLE_NODE, T0 + 2.5, nld.Eviction(delete=True)),
    ("smallest tolerationSeconds wins", pod((UNR, "Exists", "NoExecute", 100), ("", "Exists", "", 10)),
     UNREACHABLE_NODE, T0, nld.Eviction(after=10)),
    ("negative seconds: now", pod((UNR, "Exists", "NoExecute", -5)), UNREACHABLE_NODE, T0, nld.Eviction(delete=True)),
    ("tolerated forever", pod((UNR, "Exists", "NoExecute", None)), UNREACHABLE_NODE, T0 + 10_000, nld.Eviction()),
    ("tolerates everything", pod(("", "Exists", "", None)), UNREACHABLE_NODE, T0, nld.Eviction()),
    ("only the NoSchedule one tolerated", pod((UNR, "Exists", "NoSchedule", None)), UNREACHABLE_NODE, T0,
     nld.Eviction(delete=True)),
    ("other key tolerated", pod((NR, "Exists", "NoExecute", None)), UNREACHABLE_NODE, T0, nld.Eviction(delete=True)),
    ("Equal needs the value", pod((UNR, "Equal", "NoExecute", None)), UNREACHABLE_NODE, T0, nld.Eviction()),
    ("healthy node", pod(), node(ready="True"), T0, nld.Eviction()),
    ("NoSchedule only", pod(), node(ready="True", taints=(("dedicated", "NoSchedule", None),)), T0, nld.Eviction()),
    ("already deleting", pod(deleting=True), UNREACHABLE_NODE, T0, nld.Eviction()),
    ("finished", pod(phase="Succeeded"), UNREACHABLE_NODE, T0, nld.Eviction()),
    ("node gone", pod(), None, T0, nld.Eviction()),
    ("taint without timeAdded counts from now", pod((UNR, "Exists", "NoExecute", 5)),
     node(ready="Unknown", taints=((UNR, "NoExecute", None),)), T0, nld.Eviction(after=5)),
])
def test_eviction(case, p, n, now, want):
    got = nld.eviction(p, n, now)
    assert got.delete == want.delete, case
    assert got.after == pytest.approx(want.after) if want.after is not None else got.after is None, case


@pytest.mark.parametrize("tol, taint, ok", [
    (("k", "Equal", "v", "NoExecute"), ("k", "v", "NoExecute"), True),
    (("k", "", "v", ""), ("k", "v", "NoSchedule"), True),
    (("k", "Equal", "w", "NoExecute"), ("k", "v", "NoExecute"), False),
    (("k", "Exists", "", "NoSchedule"), ("k", "v", "NoExecute"), False),
    (("", "Exists", "", ""), ("any", "v", "NoExecute"), True),
    (("", "Equal", "", ""), ("any", "", "NoExecute"), False),
])
def test_tolerates(tol, taint, ok):
    key, op, value, effect = tol
    assert nld.tolerates(core_pb2.Toleration(key=key, operator=op, value=value, effect=effect),
                         core_pb2.Taint(key=taint[0], value=taint[1], effect=taint[2])) is ok
