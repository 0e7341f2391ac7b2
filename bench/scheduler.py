"""Scheduler benchmark: ``python -m bench.scheduler [--nodes 1000] [--pods 5000] [--quick] [--markdown]``.

One run starts a Redis, an API server and the nodes, and measures, on the same machine in the same run:

- the baseline: the API server's bare Bind rate (pods of no scheduler, bound by this process with 32
  concurrent calls, nodes round-robin): what any scheduler's bind costs at least;
- pods scheduled per second without volumes: the pods exist before the scheduler starts; the rate is
  counted from the first bind to the last, as a watch in this process sees them (target 300/s);
- the same with one WaitForFirstConsumer claim per pod (class `standard`, provisioner
  `kubelab.io/local-path`); a provisioner subprocess plays the PV controller: when a claim gets
  `volume.kubernetes.io/selected-node` it creates the PV pinned to that node and binds both in
  Kubernetes' order (4 writes) (target 100/s); `--provisioner real` runs services.provisioner instead.

The nodes (32 cpu, 128Gi, 110 pods each) are hollow kubelets by default (`--nodes-from hollow`):
`--hollow-processes` processes of ``python -m services.kubelet --hollow N`` register them, renew their
Leases every 10 s, write their status at least every 60 s and turn the pods bound to them Running, all
through every phase, as kubemark does; the run starts once every node is Ready. `--nodes-from api`
creates bare Ready Node objects through the API instead (no heartbeats, pods stay Pending after
binding), the way the figures before 2026-11-25 were taken. With hollow nodes each phase also waits
until its pods are Running (the kubelets' status writes done) before the next one starts.

Ratios are printed against the bare Bind rate. The internal mode ``--provision ADDR`` is the
provisioner subprocess.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.procstat import cpu_seconds, machine_busy_seconds
from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.client import Client
from tests.support import ROOT, ApiServerProcess, RedisProcess, free_port

CONCURRENCY = 32
SELECTED_NODE = "volume.kubernetes.io/selected-node"
NODE_CPU, NODE_MEMORY, NODE_PODS = "32", "128Gi", 110
HEARTBEAT_INTERVAL = 10.0
"""Seconds between a hollow node's Lease renewals (the kubelet's default: a quarter of the 40 s lease)."""
STATUS_REPORT_FREQUENCY = 60.0
"""Seconds after which a hollow node writes its status even when nothing changed (kubelab's default)."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def bounded(n: int, fn, concurrency: int = CONCURRENCY) -> None:
    """Run fn(i) for i in range(n), at most `concurrency` at a time."""
    it = iter(range(n))

    async def worker():
        for i in it:
            await fn(i)
    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))


# --- processes: start, stop, CPU and memory -------------------------------------------------------------

def start_process(argv: list[str], name: str) -> tuple[subprocess.Popen, Path]:
    logf = Path(tempfile.mkstemp(prefix=f"kl-bench-{name}-", suffix=".log")[1])
    with open(logf, "ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=out)
    return proc, logf


def stop_processes(procs: list[subprocess.Popen], grace: float = 30.0) -> None:
    """SIGTERM to all, then wait for each (SIGKILL after `grace` seconds)."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class CpuMeter:
    """Cores each named group of processes kept busy between start() and stop(), and the whole machine's."""

    def __init__(self, pids: dict[str, list[int]]):
        self.pids = pids
        self.cores: dict[str, float] = {}

    def start(self) -> "CpuMeter":
        self.t0, self.m0 = time.monotonic(), machine_busy_seconds()
        self.c0 = {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        dt = max(time.monotonic() - self.t0, 1e-6)
        self.cores = {name: round((sum(cpu_seconds(p) for p in pids) - self.c0[name]) / dt, 2)
                      for name, pids in self.pids.items()}
        self.cores["machine"] = round((machine_busy_seconds() - self.m0) / dt, 2)
        return self.cores


# --- the nodes -------------------------------------------------------------------------------------------

def bench_node(name: str) -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = name
    n.metadata.labels["kubernetes.io/hostname"] = name
    return n


async def create_nodes(client: Client, count: int) -> list[str]:
    """`--nodes-from api`: bare Ready Node objects, nothing behind them."""
    names = [f"node-{i + 1}" for i in range(count)]

    async def one(i: int) -> None:
        node = await client.create(bench_node(names[i]))
        for k, v in (("cpu", NODE_CPU), ("memory", NODE_MEMORY), ("pods", str(NODE_PODS))):
            node.status.allocatable[k] = v
            node.status.capacity[k] = v
        node.status.conditions.add(type="Ready", status="True", reason="KubeletReady")
        await client.update_status(node)
    await bounded(count, one)
    return names


def is_ready(node: core_pb2.Node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)


class HollowKubelets:
    """`processes` hollow kubelet processes registering `count` nodes between them."""

    def __init__(self, api: str, count: int, processes: int):
        self.api, self.count = api, count
        processes = max(1, min(processes, count))
        self.sizes = [count // processes + (1 if k < count % processes else 0) for k in range(processes)]
        self.dir = Path(tempfile.mkdtemp(prefix="kl-bench-hollow-"))
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc, _ in self.procs]

    def start(self) -> "HollowKubelets":
        for k, n in enumerate(self.sizes):
            prefix = "hollow" if len(self.sizes) == 1 else f"hollow{k + 1}"
            root = self.dir / "nodes" / prefix
            root.mkdir(parents=True)
            self.procs.append(start_process(
                [sys.executable, "-m", "services.kubelet", "--hollow", str(n), "--node-name", prefix,
                 "--cpu", NODE_CPU, "--memory", NODE_MEMORY, "--max-pods", str(NODE_PODS),
                 "--heartbeat-interval", str(HEARTBEAT_INTERVAL),
                 "--node-status-report-frequency", str(STATUS_REPORT_FREQUENCY),
                 "--cluster-dir", str(self.dir), "--root-dir", str(root), "--apiserver", self.api,
                 "--listen", f"127.0.0.1:{free_port()}", "--log-level", "warning"], f"hollow{k + 1}"))
        return self

    def check_running(self) -> None:
        for proc, logf in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"hollow kubelet exited with {proc.returncode}: {logf.read_text()[-2000:]}")

    async def wait_ready(self, client: Client, timeout: float) -> list[str]:
        """The names of the hollow nodes once all `count` are Ready, from the API."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            nodes, _ = await client.list("Node", label_selector="kubelab.io/hollow=true")
            ready = sorted((n.metadata.name for n in nodes if is_ready(n)), key=lambda s: (len(s), s))
            if len(ready) >= self.count:
                return ready
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ready)}/{self.count} hollow nodes Ready after {timeout:.0f}s; logs "
                                   + " ".join(str(f) for _, f in self.procs))
            await asyncio.sleep(1.0)

    def rss_mb(self) -> float | None:
        sizes = [rss_mb(p) for p in self.pids]
        return None if None in sizes else round(sum(sizes))

    def stop(self) -> None:
        stop_processes([proc for proc, _ in self.procs])
        for proc, logf in self.procs:
            if proc.returncode not in (0, -signal.SIGTERM):
                log(f"hollow kubelet pid {proc.pid} exited with {proc.returncode}; log {logf}")
        shutil.rmtree(self.dir, ignore_errors=True)


async def oldest_lease_s(client: Client) -> float | None:
    """Seconds since the least recently renewed node Lease (None without Leases)."""
    leases, _ = await client.list("Lease", "kube-node-lease")
    now = time.time()
    return max((round(now - lease.spec.renew_time.ToNanoseconds() / 1e9, 1) for lease in leases), default=None)


# --- the pods --------------------------------------------------------------------------------------------

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


class PodClock:
    """When each pod of a namespace was first seen bound, and Running, from one watch."""

    def __init__(self, client: Client, ns: str, expected: int):
        self.client, self.ns, self.expected = client, ns, expected
        self.times: dict[str, float] = {}
        """pod name -> when first seen bound."""
        self.running: dict[str, float] = {}
        self.done = asyncio.Event()
        self.all_running = asyncio.Event()

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            pod = ev.object
            if pod is None:
                continue
            name, now = pod.metadata.name, time.perf_counter()
            if pod.spec.node_name and name not in self.times:
                self.times[name] = now
                if len(self.times) >= self.expected:
                    self.done.set()
            if pod.status.phase == "Running" and name not in self.running:
                self.running[name] = now
                if len(self.running) >= self.expected:
                    self.all_running.set()
                    return

    def rate(self) -> float:
        t = sorted(self.times.values())
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0

    async def wait_running(self, timeout: float) -> dict:
        """Wait until every pod is Running (hollow nodes): how many are, and seconds after the last bind."""
        try:
            await asyncio.wait_for(self.all_running.wait(), timeout)
        except TimeoutError:
            log(f"{self.ns}: {len(self.running)}/{self.expected} pods Running {timeout:.0f}s after the binds")
        lag = (max(self.running.values()) - max(self.times.values())) if self.running and self.times else None
        return {"running": len(self.running), "running_after_last_bind_s": None if lag is None else round(lag, 1)}


class Run:
    """What every phase needs: the client, the API server's address, the nodes, the processes to meter."""

    def __init__(self, client: Client, api: str, nodes: list[str], pids: dict[str, list[int]],
                 hollow: HollowKubelets | None, timeout: float):
        self.client, self.api, self.nodes, self.pids = client, api, nodes, pids
        self.hollow, self.timeout = hollow, timeout

    async def after(self, clock: PodClock, meter: CpuMeter) -> dict:
        """A phase's tail: CPU shares, and with hollow nodes their memory, Lease age and the pods Running."""
        out = {"cores": meter.cores}
        if self.hollow is not None:
            out["hollow_rss_mb"] = self.hollow.rss_mb()
            out["oldest_lease_s"] = await oldest_lease_s(self.client)
            # After a scheduling timeout not every pod can be Running: just a look.
            out.update(await clock.wait_running(max(60.0, clock.expected / 20) if clock.done.is_set() else 5.0))
            self.hollow.check_running()
        return out


async def bare_bind_rate(r: Run, count: int) -> dict:
    await create_namespace(r.client, "baseline")
    await bounded(count, lambda i: r.client.create(bench_pod(f"b{i}", "baseline", scheduler="none")))
    clock = PodClock(r.client, "baseline", count)
    watch = asyncio.create_task(clock.run())
    try:
        meter = CpuMeter(r.pids).start()
        start = time.perf_counter()
        await bounded(count, lambda i: r.client.bind("baseline", f"b{i}", r.nodes[i % len(r.nodes)]))
        rate = count / (time.perf_counter() - start)
        meter.stop()
        return {"per_s": rate, **await r.after(clock, meter)}
    finally:
        watch.cancel()


async def scheduled_rate(r: Run, ns: str, pods: int, with_claims: bool, provisioner: str = "stand-in") -> dict:
    client = r.client
    await create_namespace(client, ns)
    if with_claims:
        await bounded(pods, lambda i: client.create(bench_claim(f"data-{i}", ns)))
    await bounded(pods, lambda i: client.create(bench_pod(f"p{i}", ns, claim=f"data-{i}" if with_claims else "")))
    clock = PodClock(client, ns, pods)
    watch = asyncio.create_task(clock.run())
    helpers = []
    if with_claims and provisioner == "real":
        cluster_dir = tempfile.mkdtemp(prefix="kl-bench-cluster-")
        helpers.append(start_process([sys.executable, "-m", "services.provisioner", "--apiserver", r.api, "--listen",
                                      f"127.0.0.1:{free_port()}", "--cluster-dir", cluster_dir, "--log-level",
                                      "warning"], "provisioner"))
    elif with_claims:
        helpers.append(start_process([sys.executable, "-m", "bench.scheduler", "--provision", r.api], "provisioner"))
    port = free_port()
    sched, sched_log = start_process([sys.executable, "-m", "services.scheduler", "--apiserver", r.api, "--listen",
                                      f"127.0.0.1:{port}", "--log-level", "warning"], "scheduler")
    procs = [sched] + [proc for proc, _ in helpers]
    meter = CpuMeter({**r.pids, "scheduler": [sched.pid], "provisioner": [p.pid for p, _ in helpers]}).start()
    started = time.perf_counter()
    rss = None
    tail: dict = {}
    try:
        try:
            await asyncio.wait_for(clock.done.wait(), r.timeout)
            rss = rss_mb(sched.pid)
        except TimeoutError:
            log(f"timed out: {len(clock.times)}/{pods} bound; scheduler log {sched_log}")
        meter.stop()
        if not with_claims:
            del meter.cores["provisioner"]
        stop_processes(procs)
        tail = await r.after(clock, meter)
    finally:
        stop_processes(procs)
        watch.cancel()
    return {"pods": pods, "bound": len(clock.times), "pods_per_s": clock.rate(), "scheduler_rss_mb": rss,
            "wall_s": (max(clock.times.values()) - started) if clock.times else None, **tail}


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
    hollow = None
    pids = {"apiserver": [api.proc.pid], "redis": [redis.proc.pid]}
    result: dict = {"nodes": args.nodes, "pods": args.pods, "nodes_from": args.nodes_from,
                    "provisioner": args.provisioner}
    try:
        t = time.perf_counter()
        if args.nodes_from == "hollow":
            hollow = HollowKubelets(api.address, args.nodes, args.hollow_processes).start()
            pids["hollow"] = hollow.pids
            nodes = await hollow.wait_ready(client, args.ready_timeout)
            ready_s = time.perf_counter() - t
            # Past every node's first heartbeat (spread over one interval), then one interval of heartbeats alone.
            window = HEARTBEAT_INTERVAL if args.nodes >= 200 else 1.0
            await asyncio.sleep(window)
            meter = CpuMeter(pids).start()
            await asyncio.sleep(window)
            result["hollow"] = {"processes": len(hollow.sizes), "ready_s": round(ready_s, 1),
                                "heartbeat_s": HEARTBEAT_INTERVAL, "status_report_s": STATUS_REPORT_FREQUENCY,
                                "idle_cores": meter.stop(), "idle_rss_mb": hollow.rss_mb()}
            log(f"{len(nodes)} hollow nodes Ready in {ready_s:.1f}s ({len(hollow.sizes)} process(es)); "
                f"idle: {result['hollow']['idle_cores']} cores, {result['hollow']['idle_rss_mb']} MB")
        else:
            nodes = await create_nodes(client, args.nodes)
            log(f"{len(nodes)} nodes in {time.perf_counter() - t:.1f}s")
        run_ = Run(client, api.address, nodes, pids, hollow, args.timeout)
        sc = storage_pb2.StorageClass(provisioner="kubelab.io/local-path", volume_binding_mode="WaitForFirstConsumer")
        sc.metadata.name = "standard"
        await client.create(sc)
        baseline = await bare_bind_rate(run_, min(args.pods, 2000))
        result["baseline"], result["bare_bind_per_s"] = baseline, baseline["per_s"]
        log(f"bare Bind: {baseline}")
        result["plain"] = await scheduled_rate(run_, "plain", args.pods, False)
        log(f"without volumes: {result['plain']}")
        result["volumes"] = await scheduled_rate(run_, "volumes", args.pods, True, args.provisioner)
        log(f"with WaitForFirstConsumer claims: {result['volumes']}")
    finally:
        await client.close()
        if hollow is not None:
            hollow.stop()
        api.stop()
        redis.stop()
    result["machine"] = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                         f"Python {platform.python_version()}")
    return result


def nodes_text(r: dict) -> str:
    if r["nodes_from"] == "api":
        return f"{r['nodes']} nodes (created through the API)"
    h = r["hollow"]
    return (f"{r['nodes']} hollow nodes ({h['processes']} kubelet process{'es' if h['processes'] > 1 else ''}, "
            f"Lease every {h['heartbeat_s']:.0f} s, status at least every {h['status_report_s']:.0f} s)")


def markdown(r: dict) -> str:
    bind = r["bare_bind_per_s"]
    rows = [("API server bare Bind (baseline, 32 concurrent)", bind, "", "")]
    rows.append(("pods scheduled, no volumes", r["plain"]["pods_per_s"], "300/s", r["plain"]["pods_per_s"] / bind))
    rows.append((f"pods scheduled, one WaitForFirstConsumer claim each ({r['provisioner']} provisioner)",
                 r["volumes"]["pods_per_s"], "100/s",
                 r["volumes"]["pods_per_s"] / bind))
    out = [f"{nodes_text(r)}, {r['pods']} pods per run; {r['machine']}.", "",
           "| measure | per second | target | ratio to bare Bind |", "|---|---:|---:|---:|"]
    for name, rate, target, ratio in rows:
        out.append(f"| {name} | {rate:.0f} | {target} | {ratio if ratio == '' else f'{ratio:.2f}'} |")
    out += ["", "CPU (cores busy) during each phase:", "",
            "| phase | " + " | ".join(CPU_COLUMNS) + " |", "|---|" + "---:|" * len(CPU_COLUMNS)]
    if "hollow" in r:
        out.append(cpu_row("hollow nodes idle (heartbeats only)", r["hollow"]["idle_cores"]))
    for key, name in (("baseline", "bare Bind"), ("plain", "scheduling, no volumes"),
                      ("volumes", "scheduling, with claims")):
        out.append(cpu_row(name, r[key]["cores"]))
    if "hollow" in r:
        h = r["hollow"]
        running = "; ".join(f"{name}: {r[key]['running']} Running {fmt(r[key]['running_after_last_bind_s'])} s "
                            f"after the last bind" for key, name in (("baseline", "bare Bind"),
                                                                       ("plain", "no volumes"),
                                                                       ("volumes", "with claims")))
        out += ["", f"Hollow nodes: all Ready {h['ready_s']:.0f} s after start; kubelet RSS {fmt(h['idle_rss_mb'])} MB "
                    f"idle, {fmt(r['volumes']['hollow_rss_mb'])} MB at the end; oldest node Lease renewal at the end "
                    f"of each phase {', '.join(fmt(r[k]['oldest_lease_s']) for k in ('baseline', 'plain', 'volumes'))}"
                    f" s ago (lease duration 40 s). Pods {running}."]
    return "\n".join(out)


CPU_COLUMNS = ("apiserver", "redis", "hollow", "scheduler", "provisioner", "machine")


def fmt(v) -> str:
    return "-" if v is None else f"{v:.0f}" if isinstance(v, float) and v >= 10 else f"{v}"


def cpu_row(name: str, cores: dict) -> str:
    return f"| {name} | " + " | ".join(f"{cores[c]:.2f}" if c in cores else "" for c in CPU_COLUMNS) + " |"


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scheduler")
    p.add_argument("--nodes", type=int, default=1000)
    p.add_argument("--pods", type=int, default=5000)
    p.add_argument("--quick", action="store_true", help="50 nodes, 300 pods: a smoke test")
    p.add_argument("--nodes-from", choices=("hollow", "api"), default="hollow",
                   help="hollow kubelet processes (heartbeats, pods turned Running), or bare Node objects "
                        "created through the API")
    p.add_argument("--hollow-processes", type=int, default=1, help="hollow kubelet processes sharing the nodes")
    p.add_argument("--ready-timeout", type=float, default=180.0, help="seconds allowed for every node to be Ready")
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
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a SIGTERM stops the processes started, too
    t0 = time.perf_counter()
    result = asyncio.run(run(args))
    result["run_s"] = round(time.perf_counter() - t0)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.markdown:
        print(markdown(result))
    else:
        bind = result["bare_bind_per_s"]
        print(f"{nodes_text(result)}: bare Bind {bind:.0f}/s; scheduled without volumes "
              f"{result['plain']['pods_per_s']:.0f}/s ({result['plain']['pods_per_s'] / bind:.2f}x); with "
              f"WaitForFirstConsumer claims {result['volumes']['pods_per_s']:.0f}/s "
              f"({result['volumes']['pods_per_s'] / bind:.2f}x); whole run {result['run_s']} s")


if __name__ == "__main__":
    main()
