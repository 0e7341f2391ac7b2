"""restartPolicy Always/OnFailure/Never, CrashLoopBackOff timing (scaled by --backoff-scale 0.1), init
containers, and a container that cannot run at all."""
from __future__ import annotations

import textwrap

import pytest

from tests.integration.kubelet.kubelet_support import condition, container_state, pod_events, wait_for, wait_pod


def pod(name: str, command: str, policy: str = "Always", init: str = "", volume: str = "") -> str:
    init_block = f"\n  initContainers:\n{init}" if init else ""
    mounts = "\n    volumeMounts: [{name: out, mountPath: /out}]" if volume else ""
    volumes = f"\n  volumes:\n  - name: out\n    {volume}" if volume else ""
    return textwrap.dedent(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: node-1
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 1{init_block}
  containers:
  - name: main
    image: busybox
    command: ["/bin/sh", "-c", {command!r}]{mounts}{volumes}
""")


#: Seconds a restart may come late on a loaded machine (starting a shim is a Python start-up).
SLACK = 4.0


def restarts(p) -> int:
    return p.status.container_statuses[0].restart_count if p.status.container_statuses else 0


async def test_always_restarts_even_successful_exits(node, client):
    await client.create_manifest(pod("always", "exit 0"), "default")
    p = await wait_pod(client, "always", lambda p: restarts(p) >= 2, what="two restarts")
    assert p.status.phase == "Running"
    p = await wait_pod(client, "always", lambda p: container_state(p)[1] == "CrashLoopBackOff")
    cs = container_state(p)[2]
    assert cs.last_state.terminated.exit_code == 0 and cs.last_state.terminated.reason == "Completed"
    assert "restarting failed container=main pod=always_default(" in cs.state.waiting.message


@pytest.mark.parametrize("policy,code,phase,reason", [
    ("OnFailure", 0, "Succeeded", "Completed"), ("Never", 0, "Succeeded", "Completed"),
    ("Never", 3, "Failed", "Error"),
])
async def test_policies_that_let_a_pod_finish(node, client, policy, code, phase, reason):
    name = f"{policy.lower()}-{code}"
    await client.create_manifest(pod(name, f"echo bye; exit {code}", policy), "default")
    p = await wait_pod(client, name, lambda p: p.status.phase == phase, what=f"{name} {phase}")
    state, why, cs = container_state(p)
    assert (state, why, cs.state.terminated.exit_code, cs.restart_count) == ("terminated", reason, code, 0)
    assert condition(p, "Ready") == "False" and condition(p, "ContainersReady") == "False"
    assert next(c.reason for c in p.status.conditions if c.type == "Ready") == "PodCompleted"


async def test_on_failure_restarts_failures(node, client):
    await client.create_manifest(pod("onfailure-3", "exit 3", "OnFailure"), "default")
    p = await wait_pod(client, "onfailure-3", lambda p: restarts(p) >= 1)
    assert p.status.phase == "Running"
    p = await wait_pod(client, "onfailure-3", lambda p: container_state(p)[2].last_state.HasField("terminated"))
    term = container_state(p)[2].last_state.terminated
    assert (term.exit_code, term.reason) == (3, "Error")


async def test_crash_loop_back_off_doubles(node, client):
    """Kubernetes restarts at once after the first exit, then waits 10s, 20s, 40s (here 1s, 2s, 4s)."""
    await client.create_manifest(pod("crash", "date +%s.%N >> /out/starts; exit 1",
                                     volume="hostPath: {path: /crash}"), "default")
    starts_file = node.root / "crash" / "starts"

    def starts() -> list[float]:
        try:
            return [float(x) for x in starts_file.read_text().split()]
        except FileNotFoundError:
            return []
    await wait_for(lambda: len(starts()) >= 5, timeout=30, what="five starts")
    t = starts()
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert gaps[0] < 1.0 + SLACK, gaps
    for gap, delay in zip(gaps[1:4], (1.0, 2.0, 4.0)):
        assert delay - 0.1 <= gap < delay + SLACK, gaps
    events = await pod_events(client, "crash")
    assert any(e.reason == "BackOff" and e.type == "Warning" and
               e.message.startswith("Back-off restarting failed container main in pod crash_default(")
               for e in events)


async def test_init_containers_run_first_in_order(node, client):
    init = textwrap.indent(textwrap.dedent("""\
        - name: first
          image: busybox
          command: ["/bin/sh", "-c", "echo first >> /out/order"]
          volumeMounts: [{name: out, mountPath: /out}]
        - name: second
          image: busybox
          command: ["/bin/sh", "-c", "echo second >> /out/order"]
          volumeMounts: [{name: out, mountPath: /out}]
        """), "  ")
    await client.create_manifest(pod("inits", "echo main >> /out/order; sleep 1000", init=init,
                                     volume="emptyDir: {}"), "default")
    p = await wait_pod(client, "inits", lambda p: p.status.phase == "Running")
    assert condition(p, "Initialized") == "True"
    assert [container_state(p, n)[1] for n in ("first", "second")] == ["Completed", "Completed"]
    out = node.root / "var/lib/kubelet/pods" / p.metadata.uid / "volumes/kubernetes.io~empty-dir/out/order"
    await wait_for(lambda: out.is_file() and out.read_text() == "first\nsecond\nmain\n", what="the order")


async def test_failed_init_container_fails_a_never_pod(node, client):
    init = textwrap.indent('- {name: check, image: busybox, command: ["/bin/sh", "-c", "exit 7"]}\n', "  ")
    await client.create_manifest(pod("badinit", "sleep 1000", "Never", init=init), "default")
    p = await wait_pod(client, "badinit", lambda p: p.status.phase == "Failed")
    assert container_state(p, "check")[2].state.terminated.exit_code == 7
    assert container_state(p, "main")[1] == "PodInitializing"


async def test_an_image_that_cannot_run_says_why(node, client):
    manifest = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: nocommand}
        spec:
          nodeName: node-1
          containers: [{name: app, image: example.com/app:1.0}]
        """)
    await client.create_manifest(manifest, "default")
    p = await wait_pod(client, "nocommand", lambda p: container_state(p)[1] == "CreateContainerError")
    assert 'image "example.com/app:1.0" is not built into kubelab' in container_state(p)[2].state.waiting.message
    assert p.status.phase == "Pending"
    events = await wait_for(lambda: _failed(client), what="Failed event")
    assert events[0].type == "Warning" and "has no command" in events[0].message


async def _failed(client):
    return [e for e in await pod_events(client, "nocommand") if e.reason == "Failed"]


async def test_a_command_that_does_not_exist_is_a_start_error(node, client):
    manifest = pod("missing", "ignored", "Never").replace('["/bin/sh", "-c", \'ignored\']', '["no-such-binary"]')
    await client.create_manifest(manifest, "default")
    p = await wait_pod(client, "missing", lambda p: p.status.phase == "Failed")
    term = container_state(p)[2].state.terminated
    assert (term.exit_code, term.reason) == (128, "StartError")
    assert 'exec: "no-such-binary": executable file not found in $PATH' in term.message


async def test_a_new_image_restarts_the_container(node, client):
    await client.create_manifest(pod("upgrade", "sleep 1000"), "default")
    p = await wait_pod(client, "upgrade", lambda p: container_state(p)[0] == "running")
    p.spec.containers[0].image = "busybox:1.36"
    await client.update(p)
    p = await wait_pod(client, "upgrade", lambda p: container_state(p)[2].restart_count == 1
                       and container_state(p)[0] == "running", what="the container restarted")
    assert container_state(p)[2].image == "busybox:1.36"
    events = await pod_events(client, "upgrade")
    assert any(e.message == "Container main definition changed, will be restarted" for e in events)
