"""Probes with a real kubelet: exec, httpGet and tcpSocket readiness flipping Ready both ways, liveness
restarting a container, a startup probe holding the others back. The test steers each probe through a
file on the node (a hostPath the container sees at /ctl)."""
from __future__ import annotations

import json
import textwrap

from tests.integration.kubelet.kubelet_support import condition, container_state, pod_events, wait_for, wait_pod

TCP_SERVER = """
import os, socket, time
sock = None
while True:
    want = os.path.exists('/ctl/listen')
    if want and sock is None:
        sock = socket.socket(); sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((os.environ['POD_IP'], 9000)); sock.listen()
    elif not want and sock is not None:
        sock.close(); sock = None
    time.sleep(0.1)
"""


def probe_pod(name: str, probes: str, image: str = "busybox", command: str = '["sleep", "1000"]',
              env: str = "") -> str:
    return textwrap.dedent(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {image}
    command: {command}
    env: [{{name: POD_IP, valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}}}]{env}
    ports: [{{name: web, containerPort: 80}}]
    volumeMounts: [{{name: ctl, mountPath: /ctl}}, {{name: ctl, mountPath: /usr/share/nginx/html}}]
{textwrap.indent(probes, "    ")}
  volumes:
  - name: ctl
    hostPath: {{path: /ctl/{name}}}
""")


def ready(p) -> bool:
    return condition(p, "Ready") == "True"


def not_ready(p) -> bool:
    return p.status.phase == "Running" and condition(p, "Ready") == "False"


async def flip(client, node, name: str, file: str) -> None:
    """Ready once `file` exists, not ready once it is gone, ready again."""
    ctl = node.root / "ctl" / name
    await wait_pod(client, name, not_ready, what=f"{name} running, not ready")
    (ctl / file).write_text("ok\n")
    await wait_pod(client, name, ready, what=f"{name} ready")
    (ctl / file).unlink()
    p = await wait_pod(client, name, not_ready, what=f"{name} not ready again")
    assert container_state(p)[0] == "running" and not container_state(p)[2].ready
    (ctl / file).write_text("ok\n")
    await wait_pod(client, name, ready, what=f"{name} ready again")


async def test_exec_readiness(node, client):
    probes = "readinessProbe: {exec: {command: [cat, /ctl/ready]}, periodSeconds: 1, failureThreshold: 1}"
    await client.create_manifest(probe_pod("exec-ready", probes), "default")
    await flip(client, node, "exec-ready", "ready")
    events = await pod_events(client, "exec-ready")
    assert any(e.reason == "Unhealthy" and e.message.startswith("Readiness probe failed: cat: ") for e in events)


async def test_http_get_readiness(node, client):
    probes = "readinessProbe: {httpGet: {path: /healthz, port: web}, periodSeconds: 1, failureThreshold: 1}"
    await client.create_manifest(probe_pod("http-ready", probes, image="nginx", command="[]"), "default")
    await flip(client, node, "http-ready", "healthz")
    events = await pod_events(client, "http-ready")
    assert any(e.message == "Readiness probe failed: HTTP probe failed with statuscode: 404" for e in events)


async def test_tcp_socket_readiness(node, client):
    probes = "readinessProbe: {tcpSocket: {port: 9000}, periodSeconds: 1, failureThreshold: 1}"
    await client.create_manifest(probe_pod("tcp-ready", probes, command=json.dumps(["python3", "-c", TCP_SERVER])),
                                 "default")
    await flip(client, node, "tcp-ready", "listen")


async def test_liveness_failure_restarts_the_container(node, client):
    ctl = node.root / "ctl" / "live"
    ctl.mkdir(parents=True)
    (ctl / "alive").write_text("ok\n")
    probes = "livenessProbe: {exec: {command: [cat, /ctl/alive]}, periodSeconds: 1, failureThreshold: 2}"
    await client.create_manifest(probe_pod("live", probes), "default")
    p = await wait_pod(client, "live", ready)
    assert container_state(p)[2].restart_count == 0
    (ctl / "alive").unlink()
    p = await wait_pod(client, "live", lambda p: container_state(p)[2].restart_count >= 1, what="a restart")
    last = container_state(p)[2].last_state.terminated
    assert last.exit_code in (137, 143) and last.reason == "Error"
    events = await pod_events(client, "live")
    assert any(e.reason == "Killing" and e.message == "Container app failed liveness probe, will be restarted"
               for e in events)
    assert any(e.reason == "Unhealthy" and e.message.startswith("Liveness probe failed:") for e in events)


async def test_startup_probe_holds_readiness_back(node, client):
    probes = textwrap.dedent("""\
        startupProbe: {exec: {command: [cat, /ctl/started]}, periodSeconds: 1, failureThreshold: 100}
        readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}""")
    await client.create_manifest(probe_pod("startup", probes), "default")
    p = await wait_pod(client, "startup", lambda p: container_state(p)[0] == "running")
    cs = container_state(p)[2]
    assert not cs.started and not cs.ready and not ready(p)
    (node.root / "ctl" / "startup" / "started").write_text("ok\n")
    p = await wait_pod(client, "startup", ready, what="ready once started")
    assert container_state(p)[2].started


async def test_failing_startup_probe_restarts(node, client):
    probes = "startupProbe: {exec: {command: [cat, /ctl/never]}, periodSeconds: 1, failureThreshold: 1}"
    await client.create_manifest(probe_pod("nostart", probes), "default")
    await wait_pod(client, "nostart", lambda p: container_state(p)[2] is not None
                   and container_state(p)[2].restart_count >= 1, what="a restart after the startup probe failed")
    await wait_for(lambda: _killing(client, "nostart", "startup"), what="Killing event")


async def _killing(client, name, probe):
    return [e for e in await pod_events(client, name) if e.reason == "Killing" and probe in e.message]
