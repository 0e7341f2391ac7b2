"""`kubelab up` to all components healthy: ``python -m bench.up [--runs N] [--nodes N] [--markdown]``.

Issue 19's target: `kubelab up -d --nodes 3` returns (every component SERVING) in under 3 s. Each run, in
a fresh temporary state dir:

- measured: `python -m kubelab.cli up -d --nodes N --state-dir DIR`, from the command's start to its exit
  (it exits once every process is healthy), then `kubelab down --purge` the same way;
- baseline, the floor of the process model: a Python launcher (`python -c`, importing grpc as the CLI
  does) that starts as many Python processes as `up` does (the partition proxy and every component: 14
  for 3 nodes), each importing grpc and serving the standard gRPC health service on a port of its own,
  polls them until all answer SERVING and exits, leaving them running as `up -d` does. Redis, which `up`
  also starts, is not in the baseline (a C program, about 10 ms to answer).

Both are timed from outside; also the CPU seconds every process of each had used when the command
returned (from /proc: the command's own, through its exit status, plus each process it left running), which
on a shared 2-core machine says more than wall time does, and when each component of `up` turned healthy
(the time the command printed `event=healthy name=...`). Runs alternate baseline and `up`; medians.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.procstat import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
KUBELAB = [sys.executable, "-m", "kubelab.cli"]

CHILD = """
import asyncio, sys
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
async def main():
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(sys.argv[1])
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    await server.start()
    await server.wait_for_termination()
asyncio.run(main())
"""

LAUNCHER = """
import json, os, socket, subprocess, sys, time
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
n, child = int(sys.argv[1]), sys.argv[2]
ports = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ports.append(s.getsockname()[1])
    s.close()
pids = [subprocess.Popen([sys.executable, "-c", child, f"127.0.0.1:{p}"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True).pid for p in ports]
pending = set(ports)
while pending:
    for p in list(pending):
        with grpc.insecure_channel(f"127.0.0.1:{p}", options=[("grpc.enable_retries", 0)]) as channel:
            try:
                if health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    pending.discard(p)
            except grpc.RpcError:
                pass
    if pending:
        time.sleep(0.02)
print(json.dumps(pids), flush=True)
"""


def env() -> dict[str, str]:
    """The children's environment: the kubelab checkout under test (--source) first on the path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def python_processes(nodes: int) -> int:
    """How many Python processes `up --nodes N` starts: the partition proxy and every instance."""
    from kubelab.cluster.specs import planned_instances
    from kubelab.cluster.state import ClusterState

    return 1 + len(planned_instances(ClusterState(nodes=nodes)))


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def baseline(n: int) -> dict:
    cpu0, began = _own_cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, "-c", LAUNCHER, str(n), CHILD], env=env(), check=True,
                         capture_output=True, text=True, timeout=120).stdout
    took = time.perf_counter() - began
    pids = json.loads(out)
    cpu = _own_cpu() - cpu0 + sum(cpu_seconds(p) for p in pids)
    _kill(pids)
    return {"up": took, "cpu": cpu}


def kubelab_up(nodes: int, state_dir: Path) -> dict:
    cpu0, began = _own_cpu(), time.perf_counter()
    proc = subprocess.Popen([*KUBELAB, "--state-dir", str(state_dir), "up", "-d", "--nodes", str(nodes)],
                            env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    healthy, lines = {}, []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("event=healthy name="):
            healthy[line.split("name=", 1)[1].split()[0]] = time.perf_counter() - began
    if proc.wait() != 0:
        raise SystemExit("kubelab up failed:\n" + "".join(lines[-30:]))
    took = time.perf_counter() - began
    procs = json.loads((state_dir / "cluster.json").read_text())["processes"]
    per = {name: cpu_seconds(rec["pid"]) for name, rec in procs.items()}
    cpu = _own_cpu() - cpu0 + sum(per.values())
    began = time.perf_counter()
    subprocess.run([*KUBELAB, "--state-dir", str(state_dir), "down", "--purge"], env=env(), cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    return {"up": took, "cpu": cpu, "down": time.perf_counter() - began, "healthy": healthy, "cpu_of": per}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(base: list[dict], ups: list[dict], nodes: int, n: int, loads: tuple, markdown: bool) -> str:
    head = (f"{len(ups)} runs, medians; --nodes {nodes} ({n} Python processes); {platform.machine()}, "
            f"{os.cpu_count()} cpus, Python {platform.python_version()}, load average {loads[0]:.1f} at the "
            f"start and {loads[1]:.1f} at the end (the machine is shared); target: up under 3 s")
    rows = [
        ("up -d to every component healthy (s)", median(ups, "up"), median(base, "up")),
        ("  best run (s)", min(r["up"] for r in ups), min(r["up"] for r in base)),
        ("CPU seconds used by then, all processes", median(ups, "cpu"), median(base, "cpu")),
        ("down --purge (s)", median(ups, "down"), None),
    ]
    names = list(ups[0]["healthy"])
    detail = [(f"  {name}: healthy at (s) / its CPU (s)", statistics.median(r["healthy"].get(name, 0) for r in ups),
               statistics.median(r["cpu_of"].get(name, 0) for r in ups)) for name in names]
    out = [head, ""]
    if markdown:
        out += ["| measure | kubelab | baseline | ratio |", "|---|---:|---:|---:|"]
        for label, mine, floor in rows:
            ratio = f"{mine / floor:.2f}" if floor else ""
            out.append(f"| {label.strip()} | {mine:.2f} | {'' if floor is None else f'{floor:.2f}'} | {ratio} |")
        out += ["", "| component | healthy at (s) | its CPU (s) |", "|---|---:|---:|"]
        out += [f"| {label.split(':')[0].strip()} | {at:.2f} | {cpu:.2f} |" for label, at, cpu in detail]
    else:
        for label, mine, floor in rows + detail:
            ratio = f"  ratio {mine / floor:.2f}" if floor else ""
            out.append(f"{label:48s} {mine:7.2f}  {'' if floor is None else f'{floor:7.2f}'}{ratio}")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.up", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--source", type=Path, help="the kubelab checkout to start (default: this one), e.g. main's "
                   "for a before/after comparison in one session")
    args = p.parse_args()
    global ROOT
    ROOT = (args.source or ROOT).resolve()
    n = python_processes(args.nodes)
    load0 = os.getloadavg()[0]
    base, ups = [], []
    tmp = Path(tempfile.mkdtemp(prefix="bench-up-"))
    try:
        for i in range(args.runs):
            base.append(baseline(n))
            ups.append(kubelab_up(args.nodes, tmp / f"run-{i}"))
            print(f"run {i + 1}: up {ups[-1]['up']:.2f} s (cpu {ups[-1]['cpu']:.2f}), baseline "
                  f"{base[-1]['up']:.2f} s (cpu {base[-1]['cpu']:.2f})", file=sys.stderr)
    finally:
        for d in tmp.glob("run-*"):
            subprocess.run([*KUBELAB, "--state-dir", str(d), "down", "--purge"], env=env(), cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(base, ups, args.nodes, n, (load0, os.getloadavg()[0]), args.markdown))


if __name__ == "__main__":
    main()
