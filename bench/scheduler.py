"""Scheduler benchmark: ``python -m bench.scheduler [--nodes 1000] [--pods 5000] [--quick] [--markdown]``.

One run starts a Redis and an API server, creates the nodes directly through the API (Ready, 32 cpu,
128Gi, 110 pods each), and measures, on the same machine in the same run:

- the baseline: the API server's bare Bind rate (pods of no scheduler, bound by this process with 32
  concurrent calls, nodes round-robin): what any scheduler's bind costs at least;
- pods scheduled per second without volumes: the pods exist before the scheduler starts; the rate is
  counted from the first bind to the last, as a watch in this process sees them (target 300/s);
- the same with one WaitForFirstConsumer claim per pod (class `standard`, provisioner
  `kubelab.io/local-path`); a provisioner subprocess plays the PV controller: when a claim gets
  `volume.kubernetes.io/selected-node` it creates the PV pinned to that node and binds both in
  Kubernetes' order (4 writes) (target 100/s); `--provisioner real` runs services.provisioner instead.

Ratios are printed against the bare Bind rate. The internal mode ``--provision ADDR`` is the
provisioner subprocess.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.client import Client
from tests.support import ROOT, ApiServerProcess, RedisProcess, free_port

CONCURRENCY = 32
SELECTED_NODE = "volume.kubernetes.io/selected-node"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def bounded(n: int, fn, concurrency: int = CONCURRENCY) -> None:
    """Run fn(i) for i in range(n), at most `concurrency` at a time."""
    it = iter(range(n))

    async def worker():
        for i in it:
            await fn(i)
    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))


def bench_node(name: str) -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = name
    n.metadata.labels["kubernetes.io/hostname"] = name
    return n


async def create_nodes(client: Client, count: int) -> list[str]:
    names = [f"node-{i + 1}" for i in range(count)]

    async def one(i: int) -> None:
        node = await client.create(bench_node(names[i]))
        for k, v in (("cpu", "32"), ("memory", "128Gi"), ("pods", "110")):
            node.status.allocatable[k] = v
            node.status.capacity[k] = v
        node.status.conditions.add(type="Ready", status="True", reason="KubeletReady")
        await client.update_status(node)
    await bounded(count, one)
    return names


def bench_pod(name: str, ns: str, claim: str = "", scheduler: str = "") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = name, ns
    p.metadata.labels["app"] = ns
    c = p.spec.containers.add(name="app", image="registry.k8s.io/pause")
    c.resources.requests["cpu"] = "100m"
    c.resources.requests["memory"] = "64Mi"
    if claim:
        p.spec.volumes.add(name="data").persistent_volume_claim.claim_name = claim
        c.volume_mounts.add(name="data", mount_path="/data")
    if scheduler:
        p.spec.scheduler_name = scheduler
    return p


def bench_claim(name: str, ns: str) -> core_pb2.PersistentVolumeClaim:
    pvc = core_pb2.PersistentVolumeClaim()
    pvc.metadata.name, pvc.metadata.namespace = name, ns
    pvc.spec.access_modes.append("ReadWriteOnce")
    pvc.spec.resources.requests["storage"] = "1Gi"
    pvc.spec.storage_class_name = "standard"
    return pvc


async def create_namespace(client: Client, name: str) -> None:
    ns = core_pb2.Namespace()
    ns.metadata.name = name
    await client.create(ns)


async def bare_bind_rate(client: Client, nodes: list[str], count: int) -> float:
    await create_namespace(client, "baseline")
    await bounded(count, lambda i: client.create(bench_pod(f"b{i}", "baseline", scheduler="none")))
    start = time.perf_counter()
    await bounded(count, lambda i: client.bind("baseline", f"b{i}", nodes[i % len(nodes)]))
    return count / (time.perf_counter() - start)


class BindClock:
    """When each pod of a namespace was first seen bound, from one watch."""

    def __init__(self, client: Client, ns: str, expected: int):
        self.client, self.ns, self.expected = client, ns, expected
        self.times: dict[str, float] = {}
        self.done = asyncio.Event()

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            if ev.object is not None and ev.object.spec.node_name and ev.object.metadata.name not in self.times:
                self.times[ev.object.metadata.name] = time.perf_counter()
                if len(self.times) >= self.expected:
                    self.done.set()
                    return

    def rate(self) -> float:
        t = sorted(self.times.values())
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0


def start_process(argv: list[str], name: str) -> tuple[subprocess.Popen, Path]:
    logf = Path(tempfile.mkstemp(prefix=f"kl-bench-{name}-", suffix=".log")[1])
    with open(logf, "ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=out)
    return proc, logf


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def scheduled_rate(client: Client, api: str, ns: str, pods: int, with_claims: bool, timeout: float,
                         provisioner: str = "stand-in") -> dict:
    await create_namespace(client, ns)
    if with_claims:
        await bounded(pods, lambda i: client.create(bench_claim(f"data-{i}", ns)))
    await bounded(pods, lambda i: client.create(bench_pod(f"p{i}", ns, claim=f"data-{i}" if with_claims else "")))
    clock = BindClock(client, ns, pods)
    watch = asyncio.create_task(clock.run())
    helpers = []
    if with_claims and provisioner == "real":
        cluster_dir = tempfile.mkdtemp(prefix="kl-bench-cluster-")
        helpers.append(start_process([sys.executable, "-m", "services.provisioner", "--apiserver", api, "--listen",
                                      f"127.0.0.1:{free_port()}", "--cluster-dir", cluster_dir, "--log-level",
                                      "warning"], "provisioner"))
    elif with_claims:
        helpers.append(start_process([sys.executable, "-m", "bench.scheduler", "--provision", api], "provisioner"))
    port = free_port()
    sched, sched_log = start_process([sys.executable, "-m", "services.scheduler", "--apiserver", api, "--listen",
                                      f"127.0.0.1:{port}", "--log-level", "warning"], "scheduler")
    started = time.perf_counter()
    rss = None
    try:
        await asyncio.wait_for(clock.done.wait(), timeout)
        rss = rss_mb(sched.pid)
    except TimeoutError:
        log(f"timed out: {len(clock.times)}/{pods} bound; scheduler log {sched_log}")
    finally:
        stop_process(sched)
        for proc, _ in helpers:
            stop_process(proc)
        watch.cancel()
    return {"pods": pods, "bound": len(clock.times), "pods_per_s": clock.rate(), "scheduler_rss_mb": rss,
            "wall_s": (max(clock.times.values()) - started) if clock.times else None}


# --- the provisioner subprocess ---------------------------------------------------------------------

async def provision(api: str) -> None:
    """Bind every claim that gets a selected node: PV pinned to the node, then the claim (§3.1's order)."""
    client = Client(api)
    queue: asyncio.Queue = asyncio.Queue()
    seen: set[str] = set()

    async def bind_one() -> None:
        while True:
            pvc = await queue.get()
            node = pvc.metadata.annotations[SELECTED_NODE]
            pv = core_pb2.PersistentVolume()
            pv.metadata.name = f"pvc-{pvc.metadata.uid}"
            pv.spec.capacity["storage"] = pvc.spec.resources.requests["storage"]
            pv.spec.access_modes.extend(pvc.spec.access_modes)
            pv.spec.storage_class_name = pvc.spec.storage_class_name
            pv.spec.persistent_volume_reclaim_policy = "Delete"
            pv.spec.host_path.path = f"/var/lib/kubelab/local-path/{pv.metadata.name}"
            term = pv.spec.node_affinity.required.node_selector_terms.add()
            term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=[node])
            ref = pv.spec.claim_ref
            ref.kind, ref.namespace, ref.name, ref.uid = ("PersistentVolumeClaim", pvc.metadata.namespace,
                                                          pvc.metadata.name, pvc.metadata.uid)
            pv = await client.create(pv)
            pv.status.phase = "Bound"
            await client.update_status(pv)
            pvc.spec.volume_name = pv.metadata.name
            pvc.metadata.annotations["pv.kubernetes.io/bind-completed"] = "yes"
            pvc.metadata.annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
            pvc = await client.update(pvc)
            pvc.status.phase = "Bound"
            await client.update_status(pvc)

    workers = [asyncio.create_task(bind_one()) for _ in range(CONCURRENCY)]
    async for ev in client.watch("PersistentVolumeClaim"):
        pvc = ev.object
        if pvc is None or pvc.spec.volume_name or SELECTED_NODE not in pvc.metadata.annotations:
            continue
        key = f"{pvc.metadata.namespace}/{pvc.metadata.name}"
        if key not in seen:
            seen.add(key)
            queue.put_nowait(pvc)
    for w in workers:
        w.cancel()


# --- the run -------------------------------------------------------------------------------------------

async def run(args) -> dict:
    redis = RedisProcess(persistent=False).start()
    api = ApiServerProcess(redis.url, "--history", "100000", "--watch-queue", "20000").start()
    client = Client(api.address, retry_deadline=60)
    try:
        t = time.perf_counter()
        nodes = await create_nodes(client, args.nodes)
        log(f"{len(nodes)} nodes in {time.perf_counter() - t:.1f}s")
        sc = storage_pb2.StorageClass(provisioner="kubelab.io/local-path", volume_binding_mode="WaitForFirstConsumer")
        sc.metadata.name = "standard"
        await client.create(sc)
        bind_rate = await bare_bind_rate(client, nodes, min(args.pods, 2000))
        log(f"bare Bind: {bind_rate:.0f}/s")
        plain = await scheduled_rate(client, api.address, "plain", args.pods, False, args.timeout)
        log(f"without volumes: {plain}")
        volumes = await scheduled_rate(client, api.address, "volumes", args.pods, True, args.timeout,
                                       args.provisioner)
        log(f"with WaitForFirstConsumer claims: {volumes}")
    finally:
        await client.close()
        api.stop()
        redis.stop()
    return {"nodes": args.nodes, "pods": args.pods, "provisioner": args.provisioner, "bare_bind_per_s": bind_rate,
            "plain": plain,
            "volumes": volumes, "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                                            f"Python {platform.python_version()}"}


def markdown(r: dict) -> str:
    bind = r["bare_bind_per_s"]
    rows = [("API server bare Bind (baseline, 32 concurrent)", bind, "", "")]
    rows.append(("pods scheduled, no volumes", r["plain"]["pods_per_s"], "300/s", r["plain"]["pods_per_s"] / bind))
    rows.append((f"pods scheduled, one WaitForFirstConsumer claim each ({r['provisioner']} provisioner)",
                 r["volumes"]["pods_per_s"], "100/s",
                 r["volumes"]["pods_per_s"] / bind))
    out = [f"{r['nodes']} nodes (created through the API), {r['pods']} pods per run; {r['machine']}.", "",
           "| measure | per second | target | ratio to bare Bind |", "|---|---:|---:|---:|"]
    for name, rate, target, ratio in rows:
        out.append(f"| {name} | {rate:.0f} | {target} | {ratio if ratio == '' else f'{ratio:.2f}'} |")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scheduler")
    p.add_argument("--nodes", type=int, default=1000)
    p.add_argument("--pods", type=int, default=5000)
    p.add_argument("--quick", action="store_true", help="50 nodes, 300 pods: a smoke test")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds allowed for each scheduling run")
    p.add_argument("--markdown", action="store_true", help="print the table for docs/benchmarks.md")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--provisioner", choices=("stand-in", "real"), default="stand-in",
                   help="who binds the claims: this benchmark's stand-in (4 writes per claim), or services.provisioner")
    p.add_argument("--provision", metavar="ADDR", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.provision:
        asyncio.run(provision(args.provision))
        return
    if args.quick:
        args.nodes, args.pods = 50, 300
    result = asyncio.run(run(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.markdown:
        print(markdown(result))
    else:
        bind = result["bare_bind_per_s"]
        print(f"bare Bind {bind:.0f}/s; scheduled without volumes {result['plain']['pods_per_s']:.0f}/s "
              f"({result['plain']['pods_per_s'] / bind:.2f}x); with WaitForFirstConsumer claims "
              f"{result['volumes']['pods_per_s']:.0f}/s ({result['volumes']['pods_per_s'] / bind:.2f}x)")


if __name__ == "__main__":
    main()
