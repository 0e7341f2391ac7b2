"""Pod Ready to name resolving: ``python -m bench.dns_ready [--pods N] [--markdown]``.

Issue 14's target: a pod's DNS name (`<hostname>.<subdomain>.<ns>.svc.cluster.local`) resolves within
500 ms (p99) of the pod becoming Ready. The path: the kubelet writes Ready, the EndpointSlice controller
(services/endpoints) adds the endpoint with its hostname, the DNS server (services/dns) sees the slice.

On a real cluster (`kubelab up -d --nodes 1` in a temporary state dir, torn down at the end), pods are
created one at a time, each with `hostname: p-<i>` and `subdomain: rb` behind the headless Service `rb`.
For each, from the moment this process's watch sees the pod Ready:

- baseline: until a watch on EndpointSlices shows the pod's endpoint ready (what the API already says);
- measured: until a UDP query to the kube-dns ClusterIP, repeated every 2 ms, answers the name.

The ratio of the two says what the DNS server adds to the API's own propagation.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode

from bench.podnet import down, ready, up
from kubelab.client import Client

SERVICE = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata: {name: rb}
    spec:
      clusterIP: None
      selector: {app: rb}
      ports: [{name: web, port: 80}]
    """)


def pod_manifest(i: int) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: p-{i}, labels: {{app: rb}}}}
        spec:
          hostname: p-{i}
          subdomain: rb
          nodeName: node-1
          terminationGracePeriodSeconds: 0
          containers: [{{name: c, image: registry.k8s.io/pause}}]
        """)


async def _until(predicate, timeout: float = 30.0) -> float:
    """The perf_counter time at which `predicate` (a coroutine function) first returns True."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if await predicate():
            return time.perf_counter()
        await asyncio.sleep(0.002)
    raise TimeoutError("condition not met within %.0f s" % timeout)


async def one_pod(client: Client, dns_ip: str, i: int) -> tuple[float, float]:
    name, fqdn = f"p-{i}", f"p-{i}.rb.default.svc.cluster.local"
    ready_at: asyncio.Future = asyncio.get_running_loop().create_future()
    slice_at: asyncio.Future = asyncio.get_running_loop().create_future()

    async def watch_pod() -> None:
        async for ev in client.watch("Pod", "default", field_selector=f"metadata.name={name}"):
            if ready(ev.object) and not ready_at.done():
                ready_at.set_result(time.perf_counter())
                return

    async def watch_slices() -> None:
        async for ev in client.watch("EndpointSlice", "default", label_selector="kubernetes.io/service-name=rb"):
            for ep in ev.object.endpoints:
                if ep.hostname == name and ep.conditions.ready and not slice_at.done():
                    slice_at.set_result(time.perf_counter())
                    return

    async def resolves() -> bool:
        query = dns.message.make_query(fqdn, "A")
        try:
            answer = await asyncio.to_thread(dns.query.udp, query, dns_ip, timeout=0.5)
        except Exception:
            return False
        return answer.rcode() == dns.rcode.NOERROR and bool(answer.answer)

    watchers = [asyncio.create_task(watch_pod()), asyncio.create_task(watch_slices())]
    try:
        await asyncio.sleep(0.05)  # the watches are open before the create
        await client.create_manifest(pod_manifest(i), "default")
        await asyncio.wait_for(asyncio.shield(ready_at), 60)
        resolved = await _until(resolves)
        sliced = await asyncio.wait_for(asyncio.shield(slice_at), 30)
    finally:
        for w in watchers:
            w.cancel()
    return max(0.0, sliced - ready_at.result()), max(0.0, resolved - ready_at.result())


async def measure(apiserver: str, pods: int) -> dict[str, list[float]]:
    client = Client(apiserver, retry_deadline=20)
    try:
        await client.create_manifest(SERVICE, "default")
        dns_ip = (await client.get("Service", "kube-dns", "kube-system")).spec.cluster_ip
        out: dict[str, list[float]] = {"slice": [], "dns": []}
        for i in range(pods):
            sliced, resolved = await one_pod(client, dns_ip, i)
            out["slice"].append(sliced)
            out["dns"].append(resolved)
        return out
    finally:
        await client.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def report(res: dict[str, list[float]], markdown: bool) -> str:
    rows = []
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        base, got = pct(res["slice"], q), pct(res["dns"], q)
        rows.append((f"pod Ready -> name resolves, {label} (baseline: EndpointSlice on a watch)",
                     f"{got:.1f} ms", f"{base:.1f} ms", f"{got / base:.2f}" if base else "-"))
    head = (f"{len(res['dns'])} pods, one at a time; {platform.machine()}, {os.cpu_count()} cpus, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}; target p99 < 500 ms")
    if markdown:
        return head + "\n\n| measure | DNS | baseline | ratio |\n|---|---:|---:|---:|\n" + "\n".join(
            f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    return head + "\n" + "\n".join(f"{a:<78} {b:>9} {c:>9} {d:>6}" for a, b, c, d in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dns_ready", description=__doc__.split("\n")[0])
    p.add_argument("--pods", type=int, default=30)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    state_dir = Path(tempfile.mkdtemp(prefix="kl-bench-dnsready-"))
    try:
        res = asyncio.run(measure(up(state_dir), args.pods))
    finally:
        down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
    print(report(res, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
