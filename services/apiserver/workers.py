"""Several API server processes behind one address (`--workers N`), as several kube-apiservers share etcd.

The process `kubelab up` starts is worker 0. With `--workers N` it starts workers 1..N-1: the same
program and flags (its `--metrics-listen` aside, a port only one process can serve), with
`--worker-index`. Every worker binds the same `--listen` and `--http-listen` (SO_REUSEPORT: gRPC sets it
by default, the HTTP server asks for it), so the kernel spreads incoming connections across them; each has
its own watch cache following the one Redis, and writes meet in Redis' compare-and-swap as they would from
separate servers. What must happen once per cluster (the default namespaces, the `kubernetes` and
`kube-dns` Services) runs in worker 0 only.

Worker 0 owns the others: it restarts one that exits (after a pause that doubles up to MAX_BACKOFF), stops
them on SIGTERM (each finishes its calls within its own grace), and the kernel kills them when it dies
(PR_SET_PDEATHSIG), so `kubelab kill apiserver` leaves no worker serving. `kubelab pause` and `resume`
signal the API server's whole process group, workers included.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger("apiserver.workers")

__all__ = ["Workers", "die_with_parent", "worker_argv", "PARENT_ENV"]

PARENT_ENV = "KUBELAB_APISERVER_PARENT"
"""The pid of worker 0, in each other worker's environment: it checks at start that its parent is it."""
MAX_BACKOFF = 30.0
PR_SET_PDEATHSIG = 1


def worker_argv(argv: Sequence[str], index: int) -> list[str]:
    """The command line of worker `index`: worker 0's, without metrics (argparse keeps the last value)."""
    return [sys.executable, "-m", "services.apiserver", *argv, "--metrics-listen", "", "--worker-index", str(index)]


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when worker 0 dies, then make sure it has not died already."""
    parent = int(os.environ.get(PARENT_ENV, "0") or 0)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise SystemExit(f"--worker-index: prctl(PR_SET_PDEATHSIG): {os.strerror(ctypes.get_errno())}")
    if parent and os.getppid() != parent:
        raise SystemExit(f"--worker-index: worker 0 (pid {parent}) is gone")


class Workers:
    """Workers 1..count-1 of worker 0 (this process): started, restarted when they exit, stopped."""

    def __init__(self, argv: Sequence[str], count: int, grace: float):
        self.argv, self.count, self.grace = list(argv), count, grace
        self.procs: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = False

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.values() if p.returncode is None]

    async def run(self) -> None:
        """Keep every worker running until stop()."""
        async with asyncio.TaskGroup() as tg:
            for index in range(1, self.count):
                tg.create_task(self._keep(index), name=f"worker-{index}")

    async def _keep(self, index: int) -> None:
        backoff = 1.0
        while not self._stopping:
            loop = asyncio.get_running_loop()
            started = loop.time()
            env = {**os.environ, PARENT_ENV: str(os.getpid())}
            # stdout and stderr are worker 0's: its log file
            proc = await asyncio.create_subprocess_exec(*worker_argv(self.argv, index), env=env,
                                                        stdin=asyncio.subprocess.DEVNULL)
            self.procs[index] = proc
            log.info("worker started index=%d pid=%d", index, proc.pid)
            code = await proc.wait()
            if self._stopping:
                return
            if loop.time() - started > MAX_BACKOFF:
                backoff = 1.0  # it ran a good while: this exit is not a crash loop
            log.warning("worker exited index=%d pid=%d code=%s restart_in=%gs", index, proc.pid, code, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def terminate(self) -> None:
        """SIGTERM every worker (each then finishes its calls within its own grace); none is restarted."""
        self._stopping = True
        for p in self.procs.values():
            if p.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    p.send_signal(signal.SIGTERM)

    async def wait(self) -> None:
        """Wait for the workers terminate() stopped (their grace and a margin), SIGKILL what is left."""
        running = [p for p in self.procs.values() if p.returncode is None]
        if not running:
            return
        _, late = await asyncio.wait([asyncio.ensure_future(p.wait()) for p in running], timeout=self.grace + 5)
        for p in running:
            if p.returncode is None:
                log.error("worker did not stop, killing it pid=%d", p.pid)
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
        if late:
            await asyncio.wait(late, timeout=5)
