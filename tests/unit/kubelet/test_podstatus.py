"""The reported pod status: container states, conditions and their transition times."""
from kubelab.api.v1 import core_pb2
from kubelab.podutil import qos_class
from services.kubelet.podstatus import ContainerView, Terminated, build_pod_status, container_status


def pod(*containers, init=(), gates=()):
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = "web", "default", "u1"
    p.spec.restart_policy = "Always"
    p.spec.containers.extend(core_pb2.Container(name=n, image="nginx") for n in containers)
    p.spec.init_containers.extend(core_pb2.Container(name=n, image="busybox") for n in init)
    p.spec.readiness_gates.extend(core_pb2.PodReadinessGate(condition_type=g) for g in gates)
    return p


def conds(status):
    return {c.type: (c.status, c.reason) for c in status.conditions}


def build(p, init, views, now=1000.0):
    return build_pod_status(p, init, views, pod_ip="127.1.1.2", host_ip="127.1.1.1", start_time=900.0, now=now)


def test_container_states():
    waiting = container_status(ContainerView("c", "nginx", reason="CrashLoopBackOff", message="back-off 10s",
                                             last=Terminated(1, finished_at=5.0), restart_count=2))
    assert waiting.state.waiting.reason == "CrashLoopBackOff" and waiting.restart_count == 2
    assert waiting.last_state.terminated.exit_code == 1 and waiting.last_state.terminated.reason == "Error"
    done = container_status(ContainerView("c", "nginx", state="terminated", terminated=Terminated(0)))
    assert done.state.terminated.reason == "Completed"
    running = container_status(ContainerView("c", "nginx", state="running", started_at=12.7, ready=True,
                                             started=True, container_id="abc"))
    assert running.state.running.started_at.seconds == 12 and running.ready and running.started
    assert running.container_id == "kubelab://abc"


def test_running_and_ready():
    p = pod("c")
    s = build(p, [], [ContainerView("c", "nginx", state="running", started_at=950, ready=True, started=True)])
    assert s.phase == "Running" and s.pod_ip == "127.1.1.2" and s.host_ip == "127.1.1.1"
    assert s.start_time.seconds == 900 and s.qos_class == "BestEffort"
    assert conds(s) == {"PodScheduled": ("True", ""), "Initialized": ("True", ""), "ContainersReady": ("True", ""),
                        "Ready": ("True", "")}


def test_not_ready_lists_containers_and_keeps_transition_times():
    p = pod("a", "b")
    views = [ContainerView("a", "nginx", state="running", ready=True, started=True),
             ContainerView("b", "nginx", state="running", ready=False, started=True)]
    first = build(p, [], views, now=1000.0)
    ready = next(c for c in first.conditions if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == ("False", "ContainersNotReady",
                                                           "containers with unready status: [b]")
    p.status.CopyFrom(first)
    again = build(p, [], views, now=2000.0)
    assert next(c for c in again.conditions if c.type == "Ready").last_transition_time.seconds == 1000
    p.status.CopyFrom(again)
    views[1] = ContainerView("b", "nginx", state="running", ready=True, started=True)
    flipped = build(p, [], views, now=3000.0)
    assert next(c for c in flipped.conditions if c.type == "Ready").last_transition_time.seconds == 3000


def test_initializing():
    p = pod("a", init=("i",))
    s = build(p, [ContainerView("i", "busybox", state="running")],
              [ContainerView("a", "nginx", reason="PodInitializing")])
    assert s.phase == "Pending"
    assert conds(s)["Initialized"] == ("False", "ContainersNotInitialized")


def test_completed_pod_is_not_ready_with_pod_completed():
    p = pod("a")
    p.spec.restart_policy = "Never"
    s = build(p, [], [ContainerView("a", "nginx", state="terminated", terminated=Terminated(0))])
    assert s.phase == "Succeeded" and conds(s)["Ready"] == ("False", "PodCompleted")


def test_keeps_what_the_kubelet_does_not_own():
    p = pod("a", gates=("example.com/lb",))
    p.status.nominated_node_name = "n"
    sched = p.status.conditions.add(type="PodScheduled", status="True")
    sched.last_transition_time.seconds = 7
    views = [ContainerView("a", "nginx", state="running", ready=True, started=True)]
    s = build(p, [], views)
    assert conds(s)["Ready"] == ("False", "ReadinessGatesNotReady")
    assert next(c for c in s.conditions if c.type == "PodScheduled").last_transition_time.seconds == 7
    p.status.conditions.add(type="example.com/lb", status="True")
    s = build(p, [], views)
    assert conds(s)["Ready"] == ("True", "") and conds(s)["example.com/lb"] == ("True", "")
    assert s.nominated_node_name == "n"


def test_qos():
    p = pod("a")
    assert qos_class(p.spec) == "BestEffort"
    p.spec.containers[0].resources.requests["cpu"] = "100m"
    assert qos_class(p.spec) == "Burstable"
    for r in ("cpu", "memory"):
        p.spec.containers[0].resources.limits[r] = "1"
        p.spec.containers[0].resources.requests[r] = "1"
    assert qos_class(p.spec) == "Guaranteed"


def test_qos_compares_quantities_and_sums_init_containers():
    """ComputePodQOS: "1" and "1000m" are one value; zero counts as unset; an init container without
    limits makes the pod Burstable; a non-QoS resource changes nothing."""
    p = pod("a")
    c = p.spec.containers[0]
    c.resources.limits.update({"cpu": "1", "memory": "1Gi"})
    c.resources.requests.update({"cpu": "1000m", "memory": "1024Mi", "ephemeral-storage": "1Gi"})
    assert qos_class(p.spec) == "Guaranteed"
    p.spec.init_containers.add(name="init", image="busybox").resources.requests["cpu"] = "100m"
    assert qos_class(p.spec) == "Burstable"
    q = pod("b")
    q.spec.containers[0].resources.requests["cpu"] = "0"
    assert qos_class(q.spec) == "BestEffort"
