"""Pod network benchmark: ``python -m bench.podnet [--pods N] [--markdown]``.

What the pod network step (docs/pod-network.md) adds to a pod's start, beside a baseline measured in
the same run on the same machine:

- create-to-Ready of a one-container pod (`registry.k8s.io/pause`, bound to node-1 by nodeName, one at
  a time so that each is measured alone) with its own network namespace, against the same pod with
  `hostNetwork: true` (which skips the network step, as upstream): medians, their ratio and difference
  (target: no more than 50 ms added);
- the network step alone: `NodeNetwork.add_pod` (namespace, veth on the bridge, address and routes:
  three `ip` runs and a setns thread) and `del_pod`, per pod, on a bridge of the benchmark's own.

The cluster is a real one (`kubelab up -d --nodes 1` in a temporary state dir), torn down at the end.
Create-to-Ready is the time from the create call to the watch event showing the pod's Ready condition
True, both clocks of this process.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from kubelab.client import Client
from kubelab.cluster.networks import claim_ranges, release_ranges
from kubelab.cluster.state import ClusterState, StateDir
from kubelab.network import cluster_id
from kubelab.podnet import remove_cluster_network
from services.kubelet.podnetwork import NodeNetwork

KUBELAB = [sys.executable, "-m", "kubelab.cli"]


def pod_manifest(name: str, host_network: bool) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          hostNetwork: {str(host_network).lower()}
          terminationGracePeriodSeconds: 0
          containers: [{{name: c, image: registry.k8s.io/pause}}]
        """)


def ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


async def create_to_ready(client: Client, name: str, host_network: bool) -> float:
    seen = asyncio.Event()

    async def watch() -> None:
        async for ev in client.watch("Pod", "default", field_selector=f"metadata.name={name}"):
            if ready(ev.object):
                seen.set()
                return
    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)  # the watch is open before the create
    began = time.perf_counter()
    await client.create_manifest(pod_manifest(name, host_network), "default")
    await asyncio.wait_for(seen.wait(), 60)
    took = time.perf_counter() - began
    watcher.cancel()
    await client.delete("Pod", name, "default", grace_period_seconds=0)
    return took


async def pod_starts(apiserver: str, n: int) -> dict[str, list[float]]:
    client = Client(apiserver, retry_deadline=20)
    out: dict[str, list[float]] = {"pod network": [], "hostNetwork": []}
    try:
        for i in range(n):  # alternating, so that a slow patch of the machine hits both alike
            out["pod network"].append(await create_to_ready(client, f"net-{i}", False))
            out["hostNetwork"].append(await create_to_ready(client, f"host-{i}", True))
    finally:
        await client.close()
    return out


def network_step(n: int) -> dict[str, list[float]]:
    """add_pod / del_pod timings on a bridge of the benchmark's own (its own claimed range)."""
    state_dir = Path(tempfile.mkdtemp(prefix="kl-bench-net-"))
    StateDir(state_dir).save(ClusterState())
    cid = cluster_id(str(state_dir))
    try:
        first = next(ipaddress.ip_network(claim_ranges(state_dir).pods).subnets(new_prefix=24))
        net = NodeNetwork(cid, "node-1", str(first))
        net.ensure_bridge()
        times: dict[str, list[float]] = {"add_pod": [], "del_pod": []}
        for i in range(n):
            ip, uid = str(first.network_address + 2 + i), f"bench-{i}"
            began = time.perf_counter()
            net.add_pod(uid, ip)
            times["add_pod"].append(time.perf_counter() - began)
            began = time.perf_counter()
            net.del_pod(uid, ip)
            times["del_pod"].append(time.perf_counter() - began)
        return times
    finally:
        remove_cluster_network(cid)
        release_ranges(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


def up(state_dir: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run([*KUBELAB, "--state-dir", str(state_dir), "up", "-d", "--nodes", "1"], env=env, check=True,
                   capture_output=True, timeout=180)
    rows = json.loads(subprocess.run([*KUBELAB, "--state-dir", str(state_dir), "ps", "--format", "json"], env=env,
                                     check=True, capture_output=True, text=True).stdout)
    return next(r["address"] for r in rows if r["name"] == "apiserver")


def down(state_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run([*KUBELAB, "--state-dir", str(state_dir), "down", "--purge", "--timeout", "5"], env=env,
                   capture_output=True, timeout=120)


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def report(starts: dict[str, list[float]], step: dict[str, list[float]], markdown: bool) -> str:
    net, host = ms(starts["pod network"]), ms(starts["hostNetwork"])
    rows = [("pod create-to-Ready, own network namespace", f"{net:.0f} ms", ""),
            ("pod create-to-Ready, hostNetwork (baseline)", f"{host:.0f} ms", ""),
            ("ratio / added by the network step", f"{net / host:.2f}", f"{net - host:+.0f} ms (target <= 50 ms)"),
            ("netns setup per pod (add_pod: netns, veth, address, routes)", f"{ms(step['add_pod']):.1f} ms",
             f"p90 {sorted(step['add_pod'])[int(len(step['add_pod']) * 0.9)] * 1000:.1f} ms"),
            ("netns teardown per pod (del_pod)", f"{ms(step['del_pod']):.1f} ms", "")]
    head = (f"{len(starts['hostNetwork'])} pods of each kind, medians; {platform.machine()}, {os.cpu_count()} cpus, "
            f"Python {platform.python_version()}, kernel {platform.release()}")
    if markdown:
        return head + "\n\n| measure | median | note |\n|---|---:|---|\n" + "\n".join(
            f"| {a} | {b} | {c} |" for a, b, c in rows)
    return head + "\n" + "\n".join(f"{a:<62} {b:>9}  {c}" for a, b, c in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.podnet", description=__doc__.split("\n")[0])
    p.add_argument("--pods", type=int, default=20, help="pods of each kind")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    step = network_step(args.pods)
    state_dir = Path(tempfile.mkdtemp(prefix="kl-bench-podnet-"))
    try:
        starts = asyncio.run(pod_starts(up(state_dir), args.pods))
    finally:
        down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
    print(report(starts, step, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
