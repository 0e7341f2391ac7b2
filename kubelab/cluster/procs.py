"""Processes as the launcher sees them: spawn detached, identify by (pid, start time), signal, wait.

A pid alone is not an identity (pids are reused), so every record keeps the process' start time from
/proc/<pid>/stat too, and a process only counts as ours if both match.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

__all__ = [
    "cluster_leftovers",
    "is_alive",
    "is_paused",
    "proc_state",
    "reap",
    "signal_process",
    "spawn",
    "start_time",
    "terminate",
    "wait_dead",
]


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 is field 3, the state)."""
    if pid <= 0:
        return None
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rfind(")") + 2 :].split()


def start_time(pid: int) -> int:
    """The process' start time in clock ticks since boot (0 if there is no such process)."""
    f = _stat_fields(pid)
    return int(f[19]) if f else 0


def proc_state(pid: int, started: int = 0) -> str | None:
    """The one-letter /proc state (R, S, T, Z, ...), or None if the process is gone or not ours."""
    f = _stat_fields(pid)
    if not f or (started and int(f[19]) != started):
        return None
    return f[0]


def is_alive(pid: int, started: int = 0) -> bool:
    """Running or stopped; a zombie counts as dead."""
    return proc_state(pid, started) not in (None, "Z", "X", "x")


def is_paused(pid: int, started: int = 0) -> bool:
    return proc_state(pid, started) in ("T", "t")


def spawn(argv: list[str], *, env: dict[str, str], log: Path, cwd: Path | None = None) -> tuple[int, int]:
    """Start argv in its own session with stdout and stderr appended to `log`; (pid, start time).

    Its own session (and so process group) keeps a terminal's Ctrl-C away from it: the launcher stops
    components itself, in order. It outlives the command that started it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        p = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    started = 0
    deadline = time.monotonic() + 2
    while not started and time.monotonic() < deadline:  # /proc entry appears with the fork
        started = start_time(p.pid)
    return p.pid, started


def signal_process(pid: int, started: int, sig: int, group: bool = False) -> bool:
    """Send sig if the process is still ours (with group, to its process group: spawn made it the
    group's leader); False if it was already gone."""
    if not is_alive(pid, started):
        return False
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def children(pid: int) -> list[int]:
    """The pids of pid's children (those its main thread started), from /proc."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def reap() -> None:
    """Collect exited children of this process (the foreground `up` is their parent)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_dead(procs: list[tuple[int, int]], timeout: float) -> bool:
    """Wait until none of procs is alive; False if some still are at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        reap()
        if not any(is_alive(p, s) for p, s in procs):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def terminate(procs: list[tuple[int, int]], grace: float, *, group: bool = True) -> None:
    """SIGTERM (and SIGCONT, in case it is paused), then SIGKILL whatever is left after `grace` seconds.

    With group=True the final SIGKILL also goes to each process group, so that children a component
    left behind (pod containers, for instance) do not outlive `kubelab down`.
    """
    for pid, started in procs:
        if signal_process(pid, started, signal.SIGTERM):
            signal_process(pid, started, signal.SIGCONT, group=True)  # a paused API server's workers too
    wait_dead(procs, grace)
    for pid, started in procs:
        signal_process(pid, started, signal.SIGKILL)
        if group and pid > 0:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    wait_dead(procs, 5)


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def cluster_leftovers(state_dir: Path) -> list[tuple[int, int]]:
    """Processes still running for the cluster in state_dir after its components stopped.

    Those are what components started in sessions of their own (the kubelet's container shims): each
    carries the launcher's KUBELAB_COMPONENT and this KUBELAB_STATE_DIR in its environment, and the
    containers it runs belong to its session. As (pid, start time), never this process.
    """
    root = str(state_dir)
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            fields = _stat_fields(int(entry.name))
            if fields:
                stats[int(entry.name)] = fields
    marked = {
        pid for pid in stats
        if (env := _environ(pid)).get("KUBELAB_STATE_DIR") == root and "KUBELAB_COMPONENT" in env
    }
    sessions = {int(stats[pid][3]) for pid in marked}
    return [(pid, int(f[19])) for pid, f in stats.items() if pid in marked or int(f[3]) in sessions]
