"""Command line start-up: ``python -m bench.cli [--runs 15] [--markdown]``.

Times, in one run on one machine, the wall time of:

- the baseline, ``python -c "import grpc"`` (an interpreter that imports grpcio and does nothing);
- ``kubelab --help`` and ``kubelab ps`` (targets: no gRPC import at all; the import check is done too, with
  ``-X importtime``);
- ``kubelab get pods`` against a real cluster (target: at most 1.5x the baseline);
- ``kubectl get pods`` on the same cluster through its HTTP API and ``<state-dir>/kubeconfig``, when kubectl is
  installed (a Go binary: no interpreter to start; its discovery is cached in its own cache dir after the
  first run, as on a user's machine).

The cluster is started with ``kubelab up -d --nodes 1`` in a temporary state dir and stopped with
``kubelab down --purge`` at the end. The commands run in turn (baseline, help, ps, get, baseline, ...) so that
a load change hits them alike; each figure is the minimum and the median of ``--runs`` runs, the ratio is
taken on the minima (the least disturbed run of each). The CPU time (user + system) of each run is reported
too: on a loaded machine it moves far less than the wall time. Before timing, ``compileall`` writes the bytecode of
kubelab (as ``pip install`` does), since a checkout run with PYTHONDONTWRITEBYTECODE would otherwise
compile every module on every run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def kubelab(*args: str) -> list[str]:
    return [sys.executable, "-m", "kubelab.cli", *args]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {r.returncode}: {r.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def grpc_imported(argv: list[str], env: dict[str, str]) -> bool:
    r = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], env=env, cwd=ROOT,
                       capture_output=True, text=True)
    names = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    return any(n == "grpc" or n.startswith("grpc.") for n in names)


def machine() -> dict[str, str]:
    return {"nproc": str(os.cpu_count()), "arch": platform.machine(), "python": platform.python_version(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def run(runs: int) -> dict:
    compileall.compile_dir(str(ROOT / "kubelab"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="kubelab-bench-cli-") as tmp:
        env = dict(os.environ, KUBELAB_STATE_DIR=tmp, PYTHONPATH=str(ROOT))
        env.pop("KUBELAB_SERVER", None)
        log("kubelab up -d --nodes 1")
        subprocess.run(kubelab("up", "-d", "--nodes", "1"), env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            commands = {
                'python -c "import grpc"': [sys.executable, "-c", "import grpc"],
                "kubelab --help": kubelab("--help"),
                "kubelab ps": kubelab("ps"),
                "kubelab get pods": kubelab("get", "pods"),
            }
            kubectl = shutil.which("kubectl")
            if kubectl:
                commands["kubectl get pods"] = [kubectl, "--kubeconfig", str(Path(tmp) / "kubeconfig"),
                                                "--cache-dir", str(Path(tmp) / "kubectl-cache"), "get", "pods"]
            before = machine()
            times: dict[str, list[float]] = {name: [] for name in commands}
            cpu: dict[str, list[float]] = {name: [] for name in commands}
            for i in range(runs):
                for name, argv in commands.items():
                    w, c = timed(argv, env)
                    times[name].append(w)
                    cpu[name].append(c)
            grpc = {name: grpc_imported(argv, env) if argv[0] == sys.executable else None
                    for name, argv in commands.items()}
            after = machine()
        finally:
            log("kubelab down --purge")
            subprocess.run(kubelab("down", "--purge"), env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    return {"times": times, "cpu": cpu, "grpc": grpc, "machine": before, "load_after": after["load"], "runs": runs}


def yes_no(imported: bool | None) -> str:
    return "n/a" if imported is None else "yes" if imported else "no"


def report(result: dict, markdown: bool) -> str:
    times, cpu = result["times"], result["cpu"]
    baseline = 'python -c "import grpc"'
    base, base_cpu = min(times[baseline]), min(cpu[baseline])
    rows = []
    for name, values in times.items():
        rows.append((name, min(values), statistics.median(values), min(values) / base, min(cpu[name]),
                     min(cpu[name]) / base_cpu, result["grpc"][name]))
    m = result["machine"]
    head = (f"{m['nproc']} cores ({m['arch']}), Python {m['python']}, load average {m['load']} before and "
            f"{result['load_after']} after; {result['runs']} runs of each, interleaved")
    if not markdown:
        lines = [head] + [f"{n:28} wall min {lo * 1000:6.0f} ms  median {med * 1000:6.0f} ms  x{r:.2f}  "
                          f"cpu min {c * 1000:5.0f} ms x{cr:.2f}  grpc imported: {yes_no(g)}"
                          for n, lo, med, r, c, cr, g in rows]
        return "\n".join(lines)
    lines = [head, "", "| command | wall min (ms) | wall median (ms) | wall min / baseline | CPU min (ms) | "
             "CPU / baseline | imports grpc |", "|---|---:|---:|---:|---:|---:|---|"]
    for n, lo, med, r, c, cr, g in rows:
        lines.append(f"| `{n}` | {lo * 1000:.0f} | {med * 1000:.0f} | {r:.2f} | {c * 1000:.0f} | {cr:.2f} | "
                     f"{yes_no(g)} |")
    name = "kubelab get pods"
    lines += ["", f"`{name}` / baseline: {min(times[name]) / base:.2f} wall, {min(cpu[name]) / base_cpu:.2f} CPU "
              f"(target at most {TARGET_RATIO})."]
    if "kubectl get pods" in times:
        k = min(times["kubectl get pods"])
        lines.append(f"`{name}` / `kubectl get pods` on the same cluster: {min(times[name]) / k:.2f} wall.")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.cli", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md")
    args = p.parse_args()
    print(report(run(args.runs), args.markdown))


if __name__ == "__main__":
    main()
