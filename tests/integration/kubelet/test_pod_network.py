"""Pod networks with real namespaces and real sockets: localhost is the pod, every pod has its own
0.0.0.0, pods reach each other (same node and across nodes) and the host by pod IP with their own
source address, hostNetwork pods stay on the host, a kubelet restart keeps networks and connections,
a deleted pod's namespace and veth go."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap

import pytest

from kubelab import podnet
from tests.integration.kubelet.conftest import delete_all_pods
from tests.integration.kubelet.kubelet_support import (
    KubeletProcess, kill_shims, run_cli, wait_for, wait_gone, wait_pod,
)
from tests.support import ROOT

SERVE_8080 = '["python3", "-m", "http.server", "8080"]'  # binds 0.0.0.0 and logs each client's address
ECHO_9000 = ('["python3", "-c", "import socket, threading\\ndef echo(c):\\n'
             '    while (d := c.recv(100)): c.sendall(d)\\n'
             's = socket.create_server((\'0.0.0.0\', 9000))\\n'
             'while True: threading.Thread(target=echo, args=(s.accept()[0],)).start()"]')


def pod(name: str, node: str, command: str = SERVE_8080, extra: str = "", image: str = "python:3") -> str:
    return textwrap.dedent(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: 1{extra}
  containers:
  - name: main
    image: {image}
    command: {command}
""")


@pytest.fixture(scope="module")
def node2(apiserver, cluster_dir, kubelet):
    k = KubeletProcess(apiserver.address, cluster_dir, "node-2").start()
    yield k
    k.stop()
    kill_shims(k.root)
    k.remove_network()


@pytest.fixture
async def nodes(node, node2, client):
    yield node, node2
    await delete_all_pods(client)


async def running(client, name: str):
    return await wait_pod(client, name, lambda p: p.status.phase == "Running" and p.status.pod_ip,
                          what=f"pod {name} Running with an IP")


async def exec_in(server: str, name: str, *argv: str, container: str = "") -> str:
    code, out, err = await run_cli(server, "exec", name, *(["-c", container] if container else []), "--", *argv)
    assert code == 0, f"exec {argv} in {name}: {code} {out} {err}"
    return out


async def curl_in(server: str, name: str, url: str, container: str = "") -> str:
    """curl from inside a pod, retried until the server there listens."""
    async def attempt():
        code, out, _ = await run_cli(server, "exec", name, *(["-c", container] if container else []), "--",
                                     "curl", "-s", "--max-time", "3", url)
        return out if code == 0 else None
    return await wait_for(attempt, 30, interval=0.2, what=f"curl {url} in {name}")


async def host_get(ip: str, port: int) -> bytes | None:
    """GET / from the host; None if nothing answers within 2 s (a SYN into the void is not retried)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 2)
    except (OSError, TimeoutError):
        return None
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def test_localhost_inside_a_pod_is_the_pod(nodes, client, apiserver):
    """The PV tutorial's step, verbatim: `curl http://localhost/` inside the pod reaches its own nginx."""
    manifest = textwrap.dedent("""\
apiVersion: v1
kind: Pod
metadata: {name: task-pv-pod}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 1
  containers:
  - name: task-pv-container
    image: nginx
    ports: [{containerPort: 80, name: http-server}]
""")
    await client.create_manifest(manifest, "default")
    await running(client, "task-pv-pod")
    assert "Welcome to nginx!" in await curl_in(apiserver.address, "task-pv-pod", "http://localhost/")


async def test_two_containers_of_a_pod_talk_over_loopback(nodes, client, apiserver):
    manifest = textwrap.dedent("""\
apiVersion: v1
kind: Pod
metadata: {name: sidecar}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: python:3
    command: ["python3", "-m", "http.server", "8081", "--bind", "127.0.0.1"]
  - name: client
    image: registry.k8s.io/pause
""")
    await client.create_manifest(manifest, "default")
    p = await running(client, "sidecar")
    out = await curl_in(apiserver.address, "sidecar", "http://127.0.0.1:8081/", container="client")
    assert "Directory listing" in out
    assert await host_get(p.status.pod_ip, 8081) is None  # bound to the pod's loopback only


async def test_four_pods_bind_0000_8080_and_reach_each_other_by_pod_ip(nodes, client, apiserver):
    for name, node in (("a1", "node-1"), ("a2", "node-1"), ("b1", "node-2"), ("b2", "node-2")):
        await client.create_manifest(pod(name, node), "default")
    pods = {name: await running(client, name) for name in ("a1", "a2", "b1", "b2")}
    ips = {name: p.status.pod_ip for name, p in pods.items()}
    assert len(set(ips.values())) == 4
    for name, ip in ips.items():  # host to pod, by pod IP
        data = await wait_for(lambda: host_get(ip, 8080), 30, what=f"{name} serving on {ip}:8080")
        assert data.startswith(b"HTTP/1.0 200")
    for client_pod, server_pod in (("a1", "a2"), ("a1", "b1"), ("b2", "a2")):  # same node, across nodes
        out = await curl_in(apiserver.address, client_pod, f"http://{ips[server_pod]}:8080/")
        assert "Directory listing" in out
        code, logs, _ = await run_cli(apiserver.address, "logs", server_pod)
        assert code == 0
        assert re.search(rf"^{re.escape(ips[client_pod])} - - \[", logs, re.M), \
            f"{server_pod} did not see {client_pod}'s address {ips[client_pod]}:\n{logs}"
    gw = pods["a1"].status.host_ip
    assert gw == podnet.gateway(nodes[0].pod_cidr) and pods["b1"].status.host_ip == podnet.gateway(nodes[1].pod_cidr)


async def test_pod_reaches_the_host_by_its_node_address(nodes, client, apiserver):
    await client.create_manifest(pod("to-host", "node-1", command='["sleep", "3600"]'), "default")
    p = await running(client, "to-host")
    server = await asyncio.start_server(lambda r, w: (w.write(w.get_extra_info("peername")[0].encode()), w.close()),
                                        p.status.host_ip, 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        out = await exec_in(apiserver.address, "to-host", "python3", "-c",
                            f"import socket; s = socket.create_connection(('{p.status.host_ip}', {port})); "
                            "print(s.recv(100).decode())")
    assert out.strip() == p.status.pod_ip


async def test_host_network_pod_stays_in_the_hosts_namespace(nodes, client, apiserver):
    await client.create_manifest(pod("hostnet", "node-1", command='["sleep", "3600"]',
                                     extra="\n  hostNetwork: true"), "default")
    await client.create_manifest(pod("podnet", "node-1", command='["sleep", "3600"]'), "default")
    h, p = await running(client, "hostnet"), await running(client, "podnet")
    assert h.status.pod_ip == h.status.host_ip == podnet.gateway(nodes[0].pod_cidr)
    assert (await exec_in(apiserver.address, "hostnet", "readlink", "/proc/self/ns/net")).strip() == \
        os.readlink("/proc/self/ns/net")
    assert (await exec_in(apiserver.address, "podnet", "readlink", "/proc/self/ns/net")).strip() != \
        os.readlink("/proc/self/ns/net")
    assert not any(h.metadata.uid in ns for ns in podnet.cluster_namespaces(nodes[0].cluster_id))
    assert any(p.metadata.uid in ns for ns in podnet.cluster_namespaces(nodes[0].cluster_id))


async def test_kubelet_restart_keeps_addresses_and_connections(nodes, client, apiserver):
    node = nodes[0]
    await client.create_manifest(pod("echo", "node-1", command=ECHO_9000), "default")
    before = await running(client, "echo")
    ip = before.status.pod_ip
    reader, writer = await wait_for(lambda: _connect(ip, 9000), 30, what="echo server listening")
    writer.write(b"one")
    assert await reader.readexactly(3) == b"one"
    stray = podnet.netns_name(node.cluster_id, "node-1", "uid-of-a-pod-long-gone")
    subprocess.run(["ip", "netns", "add", stray], check=True)  # as a kubelet dying mid-DEL leaves it
    node.stop(9)  # SIGKILL: no goodbye
    node.start()
    writer.write(b"two")
    assert await asyncio.wait_for(reader.readexactly(3), 10) == b"two"
    writer.close()
    await wait_for(lambda: node.logs().count("pod network up") >= 2, 30, what="the restarted kubelet's network up")
    await wait_for(lambda: stray not in podnet.cluster_namespaces(node.cluster_id), 30, what="the stray netns swept")
    after = await client.get("Pod", "echo", "default")
    assert after.status.pod_ip == ip and after.status.container_statuses[0].restart_count == 0
    assert (await _connect(ip, 9000)) is not None


async def _connect(ip: str, port: int):
    try:
        return await asyncio.open_connection(ip, port)
    except OSError:
        return None


async def test_deleted_pod_leaves_no_namespace_or_veth(nodes, client):
    await client.create_manifest(pod("short", "node-1", command='["sleep", "3600"]'), "default")
    p = await running(client, "short")
    ns = podnet.netns_name(nodes[0].cluster_id, "node-1", p.metadata.uid)
    veth = podnet.veth_name(nodes[0].cluster_id, p.status.pod_ip)
    assert ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert subprocess.run(["ip", "link", "show", veth], capture_output=True).returncode == 0
    await client.delete("Pod", "short", "default", grace_period_seconds=1)

    def gone():
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return ns not in listed and subprocess.run(["ip", "link", "show", veth], capture_output=True).returncode != 0
    await wait_for(gone, 30, what=f"netns {ns} and veth {veth} gone")


async def test_a_new_pod_on_a_reused_address_is_reached_at_once(nodes, client):
    """The host forgets the previous pod's MAC for the address (else it would send there for ~30 s), and
    the gateway's MAC stays what the pods know, whichever veths come and go."""
    await client.create_manifest(pod("anchor", "node-1", command='["sleep", "3600"]'), "default")
    anchor = await running(client, "anchor")
    bridge = podnet.bridge_name(nodes[0].cluster_id, "node-1")
    mac = open(f"/sys/class/net/{bridge}/address").read()
    await client.create_manifest(pod("first", "node-1"), "default")
    first = await running(client, "first")
    ip, ns = first.status.pod_ip, podnet.netns_name(nodes[0].cluster_id, "node-1", first.metadata.uid)
    await wait_for(lambda: host_get(ip, 8080), 30, what="first serving")
    await client.delete("Pod", "first", "default", grace_period_seconds=1)
    await wait_gone(client, "Pod", "first", timeout=30)  # confirmed by the kubelet once DEL is done
    assert ns not in podnet.cluster_namespaces(nodes[0].cluster_id)
    # Addresses go round-robin (ipam.py, as host-local's); a restarted kubelet goes on after the highest
    # address in use, the anchor's, so the next pod gets first's address again.
    nodes[0].stop()
    nodes[0].start()
    await client.create_manifest(pod("second", "node-1"), "default")
    assert (await running(client, "second")).status.pod_ip == ip
    assert await wait_for(lambda: host_get(ip, 8080), 8, what="second serving on the reused address")
    assert open(f"/sys/class/net/{bridge}/address").read() == mac
    assert anchor.status.pod_ip != ip


async def test_kill_containers_takes_the_nodes_network_along(apiserver, cluster_dir, client):
    """`python -m services.kubelet --kill-containers` (what `kubelab down` does for a node) after the
    kubelet stopped: its containers and every namespace, veth and the bridge of the node are gone."""
    k = KubeletProcess(apiserver.address, cluster_dir, "node-3").start()
    try:
        await client.create_manifest(pod("left", "node-3", command='["sleep", "3600"]'), "default")
        p = await running(client, "left")
        k.stop()  # containers and networks outlive a stopped kubelet
        assert len(podnet.cluster_namespaces(k.cluster_id, "node-3")) == 1
        bridge = podnet.bridge_name(k.cluster_id, "node-3")
        assert bridge in podnet.cluster_links(k.cluster_id)
        res = subprocess.run([sys.executable, "-m", "services.kubelet", *k.args, "--kill-containers"],
                             capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert "killed_containers=1 removed_network_objects=2" in res.stdout, res.stdout + res.stderr
        assert podnet.cluster_namespaces(k.cluster_id, "node-3") == []
        links = podnet.cluster_links(k.cluster_id)
        assert bridge not in links and podnet.veth_name(k.cluster_id, p.status.pod_ip) not in links
    finally:
        k.stop()
        kill_shims(k.root)
        k.remove_network()
        await client.delete("Pod", "left", "default", grace_period_seconds=0)
