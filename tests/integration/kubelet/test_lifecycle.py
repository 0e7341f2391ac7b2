"""Termination (graceful, grace period honoured, forced), and what survives what: the kubelet killed and
restarted while its pods run, the API server down, a pod force-deleted while its kubelet was away."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from services.kubelet.runtime.records import is_alive
from tests.integration.kubelet.kubelet_support import container_state, pod_events, wait_for, wait_gone, wait_pod
from tests.support import ROOT


def pod(name: str, command: str, grace: int = 5) -> str:
    return textwrap.dedent(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: {grace}
  containers:
  - name: main
    image: busybox
    command: ["/bin/sh", "-c", {command!r}]
    volumeMounts: [{{name: out, mountPath: /out}}]
  volumes:
  - name: out
    hostPath: {{path: /out/{name}}}
""")


def main_process(node, p) -> tuple[int, int]:
    """(pid, start ticks) of the pod's running container, from the run record on the node."""
    cs = container_state(p)[2]
    state = node.root / "var/lib/kubelet/pods" / p.metadata.uid / "containers/main" / str(cs.restart_count)
    doc = json.loads((state / "state.json").read_text())
    return doc["pid"], doc["start_ticks"]


def running(p) -> bool:
    return p.status.phase == "Running"


async def test_graceful_termination_runs_the_sigterm_handler(node, client):
    await client.create_manifest(pod("graceful", "trap 'echo term > /out/term; exit 0' TERM; "
                                                 "while true; do sleep 0.1; done", grace=30), "default")
    p = await wait_pod(client, "graceful", running)
    proc = main_process(node, p)
    started = time.monotonic()
    _, gone = await client.delete("Pod", "graceful", "default")
    assert not gone  # kept until the kubelet confirms
    await wait_gone(client, "Pod", "graceful")
    assert time.monotonic() - started < 15
    assert (node.root / "out" / "graceful" / "term").read_text() == "term\n"
    assert not is_alive(*proc)
    assert not (node.root / "var/lib/kubelet/pods" / p.metadata.uid).exists()


async def test_grace_period_is_honoured_then_sigkill(node, client):
    await client.create_manifest(pod("stubborn", "trap '' TERM; while true; do sleep 0.1; done", grace=2),
                                 "default")
    p = await wait_pod(client, "stubborn", running)
    proc = main_process(node, p)
    started = time.monotonic()
    await client.delete("Pod", "stubborn", "default")
    await wait_gone(client, "Pod", "stubborn")
    assert time.monotonic() - started >= 1.9
    assert not is_alive(*proc)


async def test_force_deleted_pods_processes_are_killed(node, client):
    await client.create_manifest(pod("forced", "trap '' TERM; while true; do sleep 0.1; done", grace=600),
                                 "default")
    p = await wait_pod(client, "forced", running)
    proc = main_process(node, p)
    _, gone = await client.delete("Pod", "forced", "default", grace_period_seconds=0)
    assert gone
    await wait_for(lambda: not is_alive(*proc), timeout=15, what="the force-deleted pod's process killed")
    await wait_for(lambda: not (node.root / "var/lib/kubelet/pods" / p.metadata.uid).exists(),
                   what="its directory removed")


async def _stopping(client, name: str) -> None:
    """Until the kubelet has begun stopping the pod's containers (its Killing event)."""
    async def killing():
        return any(e.reason == "Killing" for e in await pod_events(client, name))
    await wait_for(killing, 20, what=f"the kubelet stopping {name}'s containers")


async def test_a_shorter_grace_period_cuts_a_running_termination_short(node, client):
    """A second delete with a shorter grace period (kubectl delete --grace-period=1 on a Terminating pod)
    brings the SIGKILL forward, as the kubelet's pod workers restart the kill with the shorter period."""
    await client.create_manifest(pod("shortened", "trap '' TERM; while true; do sleep 0.1; done", grace=600),
                                 "default")
    p = await wait_pod(client, "shortened", running)
    proc = main_process(node, p)
    await client.delete("Pod", "shortened", "default", grace_period_seconds=300)
    await _stopping(client, "shortened")
    assert is_alive(*proc)  # SIGTERM ignored: it takes its grace period
    started = time.monotonic()
    await client.delete("Pod", "shortened", "default", grace_period_seconds=1)
    await wait_gone(client, "Pod", "shortened")
    assert time.monotonic() - started < 20 and not is_alive(*proc)


async def test_force_deleting_a_terminating_pod_kills_it(node, client):
    await client.create_manifest(pod("forced-late", "trap '' TERM; while true; do sleep 0.1; done", grace=600),
                                 "default")
    p = await wait_pod(client, "forced-late", running)
    proc = main_process(node, p)
    await client.delete("Pod", "forced-late", "default")  # the pod's own 600 s
    await _stopping(client, "forced-late")
    _, gone = await client.delete("Pod", "forced-late", "default", grace_period_seconds=0)
    assert gone
    await wait_for(lambda: not is_alive(*proc), timeout=15, what="the force-deleted pod's process killed")


async def test_kubelet_restart_keeps_containers_running(node, client):
    await client.create_manifest(pod("steady", "while true; do date +%s.%N >> /out/ticks; sleep 0.2; done"),
                                 "default")
    p = await wait_pod(client, "steady", lambda p: running(p) and p.status.conditions)
    proc = main_process(node, p)
    cid = container_state(p)[2].container_id
    node.stop(signal.SIGKILL)
    ticks = node.root / "out" / "steady" / "ticks"
    count = len(ticks.read_text().split())
    await wait_for(lambda: len(ticks.read_text().split()) > count + 2, what="the container running on its own")
    node.start()
    await wait_for(lambda: _status_refreshed(client, node), what="node status written by the new kubelet")
    p = await wait_pod(client, "steady", running)
    assert is_alive(*proc) and main_process(node, p) == proc
    cs = container_state(p)[2]
    assert cs.container_id == cid and cs.restart_count == 0 and cs.ready
    await client.delete("Pod", "steady", "default", grace_period_seconds=1)
    await wait_gone(client, "Pod", "steady")
    assert not is_alive(*proc)


async def _status_refreshed(client, node) -> bool:
    lease = await client.get("Lease", "node-1", "kube-node-lease")
    return lease.spec.renew_time.seconds >= int(time.time()) - 1 and node.proc.poll() is None


async def test_pods_keep_running_while_the_api_server_is_down(node, client, apiserver):
    await client.create_manifest(pod("alone", "while true; do date +%s >> /out/ticks; sleep 0.2; done"),
                                 "default")
    p = await wait_pod(client, "alone", running)
    proc = main_process(node, p)
    ticks = node.root / "out" / "alone" / "ticks"
    apiserver.stop()
    try:
        count = len(ticks.read_text().split())
        await wait_for(lambda: len(ticks.read_text().split()) > count + 5, what="ticks while the API is down")
        assert is_alive(*proc) and node.proc.poll() is None
    finally:
        apiserver.start()
    p = await wait_pod(client, "alone", running)
    assert main_process(node, p) == proc and container_state(p)[2].restart_count == 0


async def test_orphans_are_cleaned_up_after_a_restart(node, client):
    await client.create_manifest(pod("orphan", "trap '' TERM; while true; do sleep 0.1; done"), "default")
    p = await wait_pod(client, "orphan", running)
    proc = main_process(node, p)
    node.stop(signal.SIGKILL)
    await client.delete("Pod", "orphan", "default", grace_period_seconds=0)
    assert is_alive(*proc)
    node.start()
    await wait_for(lambda: not is_alive(*proc), timeout=15, what="the orphan's process killed")
    await wait_for(lambda: not (node.root / "var/lib/kubelet/pods" / p.metadata.uid).exists(),
                   what="the orphan's directory removed")
    assert not any((node.root / "var/log/pods").glob(f"*_{p.metadata.uid}"))
    assert os.path.isdir(node.root / "var/lib/kubelet/pods")


async def test_stopped_kubelet_leaves_containers_and_kill_containers_takes_them(node, client):
    await client.create_manifest(pod("survivor", "while true; do sleep 0.1; done"), "default")
    p = await wait_pod(client, "survivor", running)
    proc = main_process(node, p)
    node.stop(signal.SIGTERM)
    assert is_alive(*proc)
    result = subprocess.run([sys.executable, "-m", "services.kubelet", "--node-name", "node-1", "--root-dir",
                             str(node.root), "--kill-containers"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0 and "killed_containers=1" in result.stdout, result
    await wait_for(lambda: not is_alive(*proc), what="the container killed")
    node.start()
    p = await wait_pod(client, "survivor", lambda p: running(p) and container_state(p)[2].restart_count == 1
                       and container_state(p)[0] == "running", what="the container started again")
    assert container_state(p)[2].last_state.terminated.exit_code == 137


async def test_post_start_and_pre_stop_hooks(node, client):
    manifest = pod("hooked", "while true; do sleep 0.1; done").replace(
        "    volumeMounts:", textwrap.indent(textwrap.dedent("""\
            lifecycle:
              postStart: {exec: {command: ["/bin/sh", "-c", "echo started > /out/post"]}}
              preStop: {exec: {command: ["/bin/sh", "-c", "echo stopping > /out/pre"]}}
            volumeMounts:"""), "    "), 1)
    await client.create_manifest(manifest, "default")
    await wait_pod(client, "hooked", running)
    out = node.root / "out" / "hooked"
    await wait_for(lambda: (out / "post").is_file(), what="the postStart hook's file")
    assert not (out / "pre").exists()
    await client.delete("Pod", "hooked", "default")
    await wait_gone(client, "Pod", "hooked")
    assert (out / "pre").read_text() == "stopping\n"
