"""The built-in nginx image: serves its volume at the pod IP on the container port; two pods, one port."""
from __future__ import annotations

import asyncio
import textwrap

from tests.integration.kubelet.kubelet_support import wait_for, wait_pod


def nginx_pod(name: str, image: str = "nginx:1.14.2", port: int = 80, volume: str = "") -> str:
    mounts = volume and "\n    volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}]"
    volumes = volume and f"\n  volumes:\n  - name: html\n    {volume}"
    return textwrap.dedent(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: web}}}}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 2
  containers:
  - name: nginx
    image: {image}
    ports: [{{containerPort: {port}}}]{mounts}{volumes}
""")


async def http_get(host: str, port: int, path: str = "/") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def answers(host: str, port: int, path: str = "/"):
    try:
        return await http_get(host, port, path)
    except OSError:
        return None


async def test_nginx_serves_a_file_written_into_its_volume(node, client):
    await client.create_manifest(nginx_pod("web", volume="hostPath: {path: /srv/www}"), "default")
    pod = await wait_pod(client, "web", lambda p: p.status.phase == "Running" and p.status.pod_ip)
    (node.root / "srv" / "www" / "index.html").write_text("hello from node-1's /srv/www\n")
    status, body = await wait_for(lambda: answers(pod.status.pod_ip, 80), what="nginx answering at the pod IP")
    assert (status, body) == (200, b"hello from node-1's /srv/www\n")
    assert (await http_get(pod.status.pod_ip, 80, "/missing"))[0] == 404


async def test_two_nginx_pods_on_the_same_port_and_the_welcome_page(node, client):
    await client.create_manifest(nginx_pod("slim", image="registry.k8s.io/nginx-slim:0.8", port=8080), "default")
    await client.create_manifest(nginx_pod("slim2", image="registry.k8s.io/nginx-slim:0.8", port=8080), "default")
    a = await wait_pod(client, "slim", lambda p: p.status.phase == "Running")
    b = await wait_pod(client, "slim2", lambda p: p.status.phase == "Running")
    assert a.status.pod_ip != b.status.pod_ip
    for pod in (a, b):
        status, body = await wait_for(lambda: answers(pod.status.pod_ip, 8080), what=f"{pod.metadata.name}")
        assert status == 200 and b"Welcome to nginx!" in body
