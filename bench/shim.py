"""Memory per running container: ``python -m bench.shim [--containers N] [--markdown]``.

Issue 19: state the memory of a running container's runtime shim (services/kubelet/runtime/shim.py, one
per container run, the container's parent for as long as it runs) and reduce it if it is above 10 MB.

N containers running `sleep 600` are started through the kubelet's own ContainerRuntime (the shim as the
kubelet starts it: its own root, mount and UTS namespaces, the log relayed in CRI format), on the host
network, in a temporary directory; once all run, each shim's /proc/<pid>/smaps_rollup is read:

- RSS: resident pages, shared ones (the interpreter, libc) counted in full;
- PSS: each shared page divided among the processes sharing it, what one more container costs the
  machine once several run;
- private (USS): pages only this process has (Private_Clean + Private_Dirty), what killing it frees.

With `--source DIR` (repeatable) the shim is the one of another tree (DIR/services/kubelet/runtime/shim.py,
say main's checkout), started by this tree's ContainerRuntime the same way (`python -I -S`): before and
after from one run, on the same machine under the same load. Beside, in the same run, N copies of each
baseline: `sleep 600` (a C program: the floor of any process)
and `python -c 'import time; time.sleep(600)'` (a bare interpreter). Medians over the N processes.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from services.kubelet.runtime.runtime import SHIM, ContainerRuntime, RunSpec

FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty")


def memory_kb(pid: int) -> dict[str, int]:
    """RSS, PSS and private kB of one process, from /proc/<pid>/smaps_rollup."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        if key in FIELDS:
            out[key] = int(rest.split()[0])
    return {"rss": out["Rss"], "pss": out["Pss"], "private": out["Private_Clean"] + out["Private_Dirty"]}


def settle(pids: list[int], timeout: float = 30.0) -> list[dict[str, int]]:
    """Memory of each process once it is past its start-up: its RSS unchanged over three reads 0.3 s apart
    (a busy machine may take seconds to run an interpreter's start)."""
    deadline = time.monotonic() + timeout
    last, same = None, 0
    while same < 3 and time.monotonic() < deadline:
        time.sleep(0.3)
        now = [memory_kb(p) for p in pids]
        same = same + 1 if last and [m["rss"] for m in now] == [m["rss"] for m in last] else 0
        last = now
    return last


async def shims(n: int, root: Path, shim: Path) -> tuple[list[dict[str, int]], list[dict[str, int]]]:
    """(shim, container) memory of n running containers started through ContainerRuntime with this shim."""
    runtime = ContainerRuntime(shim=shim)
    recs = []
    try:
        for i in range(n):
            spec = RunSpec(uid=f"bench-{i}", namespace="bench", pod=f"p{i}", container="c", attempt=0,
                           argv=["sleep", "600"], env={"PATH": "/usr/bin:/bin"}, working_dir="/",
                           hostname=f"p{i}")
            recs.append(await runtime.start(spec, root / f"run-{i}", root / "logs" / f"p{i}.log"))
        for rec in recs:
            if rec.pid == 0:
                raise SystemExit(f"a container did not start: {rec.exit}")
        shim_mem = settle([r.shim_pid for r in recs])
        container_mem = [memory_kb(r.pid) for r in recs]
        return shim_mem, container_mem
    finally:
        for rec in recs:
            runtime.kill(rec)
        for rec in recs:
            await runtime.wait(rec)


def baseline(argv: list[str], n: int) -> list[dict[str, int]]:
    procs = [subprocess.Popen(argv, stdin=subprocess.DEVNULL) for _ in range(n)]
    try:
        return settle([p.pid for p in procs])
    finally:
        for p in procs:
            p.kill()
            p.wait()


def med(rows: list[dict[str, int]], key: str) -> float:
    return statistics.median(r[key] for r in rows) / 1024


def report(results: dict[str, list[dict[str, int]]], n: int, markdown: bool) -> str:
    head = (f"{n} of each, medians in MB; {platform.machine()}, {os.cpu_count()} cpus, Python "
            f"{platform.python_version()}, kernel {platform.release()}, load average {os.getloadavg()[0]:.1f} "
            f"(the machine is shared); target: a shim under 10 MB")
    lines = [head, ""]
    if markdown:
        lines += ["| process | RSS | PSS | private |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {med(rows, 'rss'):.1f} | {med(rows, 'pss'):.1f} | {med(rows, 'private'):.1f} |"
                  for name, rows in results.items()]
    else:
        lines += [f"{'process':50s} {'RSS':>6s} {'PSS':>6s} {'private':>8s}"]
        lines += [f"{name:50s} {med(rows, 'rss'):6.1f} {med(rows, 'pss'):6.1f} {med(rows, 'private'):8.1f}"
                  for name, rows in results.items()]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.shim", description=__doc__.split("\n\n")[0])
    p.add_argument("--containers", type=int, default=5)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--source", action="append", type=Path, metavar="DIR",
                   help="measure the shim of the tree in DIR (repeatable; default: this tree)")
    args = p.parse_args()
    n = args.containers
    results = {}
    for source in args.source or [Path(__file__).resolve().parent.parent]:
        shim = source.resolve() / SHIM.relative_to(Path(__file__).resolve().parent.parent)
        if not shim.exists():
            raise SystemExit(f"no shim at {shim}")
        root = Path(tempfile.mkdtemp(prefix="bench-shim-"))
        try:
            shim_mem, container_mem = asyncio.run(shims(n, root, shim))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        results[f"container shim of {source} (per running container)"] = shim_mem
        results[f"its container's own process (`sleep 600`), {source}"] = container_mem
    results |= {
        "baseline: `sleep 600`": baseline(["sleep", "600"], n),
        "baseline: `python -c 'import time; time.sleep(600)'`":
            baseline([sys.executable, "-c", "import time; time.sleep(600)"], n),
        "baseline: `python -I -S -c 'import time; time.sleep(600)'`":
            baseline([sys.executable, "-I", "-S", "-c", "import time; time.sleep(600)"], n),
    }
    print(report(results, n, args.markdown))


if __name__ == "__main__":
    main()
