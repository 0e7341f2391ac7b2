"""The container runtime: start a container run through its shim, watch it end, signal it, enter it.

Shims are started in sessions of their own, so neither the kubelet's death nor a signal to its
process group reaches a container; a restarted kubelet reads the run records (`records.py`) and
carries on. `exec_argv` enters a running container's mount, UTS and network namespaces and root with nsenter.
"""
from __future__ import annotations

import asyncio
import compileall
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from services.kubelet.runtime.records import ExitInfo, RunRecord, load_run, start_ticks, write_json

__all__ = ["Mount", "RunSpec", "ContainerRuntime", "StartFailed"]

log = logging.getLogger(__name__)

SHIM = Path(__file__).with_name("shim.py")
#: The modules the shim imports (shim.py itself, a script, is compiled at every start anyway).
SHIM_MODULES = ("shim_supervise.py", "shim_setup.py")
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = False


@dataclass
class RunSpec:
    uid: str
    namespace: str
    pod: str
    container: str
    attempt: int
    argv: list[str]
    env: dict[str, str]
    working_dir: str
    hostname: str
    mounts: list[Mount] = field(default_factory=list)
    spec_hash: str = ""
    netns: str = ""
    """The pod's network namespace (/run/netns/...) the shim joins; "" for hostNetwork pods."""
    stdin: bool = False
    """The container's `stdin`: its command reads what an attach sends (the run's `stdin` FIFO)."""
    stdin_once: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.pod}"


class StartFailed(Exception):
    """The shim could not be started at all."""


class ContainerRuntime:
    def __init__(self, python: str = sys.executable, shim: Path = SHIM):
        self.python = python
        self.shim = shim
        self.nsenter = shutil.which("nsenter") or "nsenter"
        compile_shim(shim)

    async def start(self, spec: RunSpec, run_dir: Path, log_path: Path) -> RunRecord:
        """Start one run; returns once the command runs (or has failed to start)."""
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"argv": spec.argv, "env": spec.env, "working_dir": spec.working_dir, "hostname": spec.hostname, "netns": spec.netns,
               "rootfs": str(run_dir / "rootfs"), "scratch": str(run_dir / "scratch"), "log_path": str(log_path),
               "mounts": [{"source": m.source, "target": m.target, "read_only": m.read_only} for m in spec.mounts],
               "stdin": spec.stdin, "stdin_once": spec.stdin_once,
               "meta": {"uid": spec.uid, "namespace": spec.namespace, "pod": spec.pod, "container": spec.container,
                        "attempt": spec.attempt, "spec_hash": spec.spec_hash, "log_path": str(log_path)}}
        write_json(run_dir / "spec.json", doc)
        try:
            with open(run_dir / "shim.log", "ab") as out:
                proc = subprocess.Popen([self.python, "-I", "-S", str(self.shim), str(run_dir / "spec.json"),
                                         str(log_path), *_stdin_arg(spec)],
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd="/",
                                        start_new_session=True, close_fds=True)
        except OSError as e:
            raise StartFailed(f"cannot start the container shim: {e}") from e
        write_json(run_dir / "shim.json", {"pid": proc.pid, "start_ticks": start_ticks(proc.pid)})
        rec = load_run(run_dir)
        deadline = time.monotonic() + START_TIMEOUT
        while rec.pid == 0 and rec.exit is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                rec.refresh()
                if rec.pid == 0 and rec.exit is None:
                    self.kill(rec)
                    rec.exit = ExitInfo(128, 0, "StartError", "the container did not start in time")
                break
            await asyncio.sleep(0.01)
            rec.refresh()
        log.info("container started pod=%s container=%s attempt=%d pid=%d", spec.key, spec.container,
                 spec.attempt, rec.pid)
        return rec

    async def wait(self, rec: RunRecord) -> RunRecord:
        """Wait until the run has ended (its shim exited); the record then carries exit."""
        if rec.exit is not None:
            return rec
        try:
            fd = os.pidfd_open(rec.shim_pid)
        except (ProcessLookupError, OSError):
            return rec.refresh()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.add_reader(fd, lambda: done.done() or done.set_result(None))
        try:
            if rec.shim_alive:
                await done
        finally:
            loop.remove_reader(fd)
            os.close(fd)
        _reap(rec.shim_pid)
        for _ in range(50):  # the exit record is written just before the shim exits
            if rec.refresh().exit is not None:
                break
            await asyncio.sleep(0.01)
        return rec

    def signal(self, rec: RunRecord, sig: int) -> bool:
        """Send sig to the container's main process; False when it is gone."""
        if not rec.running:
            return False
        try:
            os.kill(rec.pid, sig)
            return True
        except ProcessLookupError:
            return False

    def kill(self, rec: RunRecord) -> None:
        """SIGKILL the container's process group (the shim then records the exit)."""
        if rec.pid > 0:
            try:
                os.killpg(rec.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        elif rec.shim_pid > 0 and rec.shim_alive:
            try:
                os.kill(rec.shim_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def stop(self, rec: RunRecord, grace: float, deadline=None) -> RunRecord:
        """SIGTERM, up to `grace` seconds, then SIGKILL; returns once the run has ended.

        `deadline` (a DeadlineWatch) may bring the SIGKILL forward while waiting: a second delete with a
        shorter grace period, or a force delete, as the kubelet's pod workers cancel a running kill."""
        if rec.refresh().exit is not None:
            return rec
        if grace > 0 and self.signal(rec, signal.SIGTERM):
            end = time.monotonic() + grace
            waiting = asyncio.ensure_future(self.wait(rec))
            try:
                while not waiting.done():
                    if deadline is not None:
                        end = min(end, deadline.at)
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        break
                    sooner = [asyncio.ensure_future(deadline.changed.wait())] if deadline is not None else []
                    try:
                        await asyncio.wait([waiting, *sooner], timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for f in sooner:
                            f.cancel()
                    if deadline is not None:
                        deadline.changed.clear()
                if waiting.done():
                    return waiting.result()
            finally:
                waiting.cancel()
        self.kill(rec)
        return await self.wait(rec)

    def exec_argv(self, rec: RunRecord, argv: list[str]) -> list[str]:
        """A command line that runs argv inside the running container."""
        return [self.nsenter, "-t", str(rec.pid), "-m", "-u", "-n", "-r", "-w", "--", *argv]


def compile_shim(shim: Path) -> None:
    """Write the shim modules' cached bytecode now, so that no shim compiles them (which costs it time and
    memory); where the directory is read-only they stay as installed."""
    for name in SHIM_MODULES:
        if (shim.parent / name).exists():
            compileall.compile_file(str(shim.parent / name), quiet=2)


def _stdin_arg(spec: RunSpec) -> list[str]:
    if not spec.stdin:
        return []
    return ["stdin-once" if spec.stdin_once else "stdin"]


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
