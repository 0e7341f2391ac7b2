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

`--against CHECKOUT` also starts another checkout's `up` in each round, right after this one's, and
prints it in a column of its own: a before/after whose two sides share the same minutes, which on a
shared machine matters more than the number of runs. The checkouts are run as they are: on a machine with
PYTHONDONTWRITEBYTECODE set and nothing compiled, a launcher that does not let its components cache their
bytecode compiles every module at every start (kubelab's launcher lets them, since issue 19).
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


def env(root: Path | None = None) -> dict[str, str]:
    """The children's environment: the kubelab checkout under test (--source) first on the path."""
    root = root or ROOT
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}


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


def kubelab_up(nodes: int, state_dir: Path, root: Path | None = None) -> dict:
    root = root or ROOT
    cpu0, began = _own_cpu(), time.perf_counter()
    proc = subprocess.Popen([*KUBELAB, "--state-dir", str(state_dir), "up", "-d", "--nodes", str(nodes)],
                            env=env(root), cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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
    own = _own_cpu() - cpu0
    cpu = own + sum(per.values())
    began = time.perf_counter()
    subprocess.run([*KUBELAB, "--state-dir", str(state_dir), "down", "--purge"], env=env(root), cwd=root,
                   check=True, capture_output=True, timeout=120)
    return {"up": took, "cpu": cpu, "launcher": own, "down": time.perf_counter() - began, "healthy": healthy,
            "cpu_of": per}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _rows(ups: list[dict]) -> list[float]:
    return [median(ups, "up"), min(r["up"] for r in ups), median(ups, "cpu"), median(ups, "launcher"),
            median(ups, "down")]


ROWS = ["up -d to every component healthy (s)", "  best run (s)", "CPU seconds used by then, all processes",
        "  of which the `kubelab up` command's own", "down --purge (s)"]


def report(base: list[dict], ups: list[dict], nodes: int, n: int, loads: tuple, markdown: bool,
           against: tuple[Path, list[dict]] | None = None) -> str:
    head = (f"{len(ups)} runs, medians; --nodes {nodes} ({n} Python processes); {platform.machine()}, "
            f"{os.cpu_count()} cpus, Python {platform.python_version()}, load average {loads[0]:.1f} at the "
            f"start and {loads[1]:.1f} at the end (the machine is shared); target: up under 3 s")
    floors = [median(base, "up"), min(r["up"] for r in base), median(base, "cpu"), None, None]
    sides = [("kubelab", ups)] + ([(f"against ({against[0]})", against[1])] if against else [])
    columns = [_rows(runs) for _, runs in sides]
    names = list(dict.fromkeys(name for _, runs in sides for r in runs for name in r["healthy"]))
    out = [head, ""]
    if markdown:
        out += ["| measure | " + " | ".join(label for label, _ in sides) + " | baseline | ratio |",
                "|---|" + "---:|" * (len(sides) + 2)]
        for i, label in enumerate(ROWS):
            floor = floors[i]
            ratio = f"{columns[0][i] / floor:.2f}" if floor else ""
            out.append(f"| {label.strip()} | " + " | ".join(f"{col[i]:.2f}" for col in columns)
                       + f" | {'' if floor is None else f'{floor:.2f}'} | {ratio} |")
        out += ["", "| component | " + " | ".join(f"{label}: healthy at (s) / its CPU (s)" for label, _ in sides)
                + " |", "|---|" + "---:|" * len(sides)]
        for name in names:
            cells = [f"{statistics.median(r['healthy'].get(name, 0) for r in runs):.2f} / "
                     f"{statistics.median(r['cpu_of'].get(name, 0) for r in runs):.2f}" for _, runs in sides]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    else:
        out.append(f"{'':48s} " + "  ".join(f"{label[:12]:>12s}" for label, _ in sides) + "      baseline")
        for i, label in enumerate(ROWS):
            floor = floors[i]
            ratio = f"  ratio {columns[0][i] / floor:.2f}" if floor else ""
            out.append(f"{label:48s} " + "  ".join(f"{col[i]:12.2f}" for col in columns)
                       + f"  {'' if floor is None else f'{floor:12.2f}'}{ratio}")
        for name in names:
            cells = [f"{statistics.median(r['healthy'].get(name, 0) for r in runs):5.2f}/"
                     f"{statistics.median(r['cpu_of'].get(name, 0) for r in runs):.2f}" for _, runs in sides]
            out.append(f"  {name + ': healthy at (s) / its CPU (s)':46s} " + "  ".join(f"{c:>12s}" for c in cells))
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.up", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--source", type=Path, help="the kubelab checkout to start (default: this one), e.g. main's "
                   "for a before/after comparison in one session")
    p.add_argument("--against", type=Path, metavar="CHECKOUT",
                   help="also start this checkout's `up` in every round, alternated with --source's")
    args = p.parse_args()
    global ROOT
    ROOT = (args.source or ROOT).resolve()
    other = args.against.resolve() if args.against else None
    n = python_processes(args.nodes)
    load0 = os.getloadavg()[0]
    base, ups, others = [], [], []
    tmp = Path(tempfile.mkdtemp(prefix="bench-up-"))
    try:
        for i in range(args.runs):
            base.append(baseline(n))
            ups.append(kubelab_up(args.nodes, tmp / f"run-{i}"))
            line = f"run {i + 1}: up {ups[-1]['up']:.2f} s (cpu {ups[-1]['cpu']:.2f})"
            if other:
                others.append(kubelab_up(args.nodes, tmp / f"against-{i}", other))
                line += f", against {others[-1]['up']:.2f} s (cpu {others[-1]['cpu']:.2f})"
            print(f"{line}, baseline {base[-1]['up']:.2f} s (cpu {base[-1]['cpu']:.2f})", file=sys.stderr)
    finally:
        for d in tmp.glob("*-*"):
            root = other if d.name.startswith("against-") else ROOT
            subprocess.run([*KUBELAB, "--state-dir", str(d), "down", "--purge"], env=env(root), cwd=root,
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(base, ups, args.nodes, n, (load0, os.getloadavg()[0]), args.markdown,
                 (other, others) if other else None))


if __name__ == "__main__":
    main()
