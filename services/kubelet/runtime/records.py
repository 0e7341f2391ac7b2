"""The on-disk record of each container run: what lets a restarted kubelet find its containers again.

A run directory (`paths.NodePaths.run_dir`) holds
    spec.json    what the shim runs, plus the pod, container, attempt and spec hash (written first)
    shim.json    the shim's pid and start ticks (written by the kubelet once it spawned the shim)
    state.json   the command's pid, start ticks and start time (written by the shim once it runs)
    exit.json    exit code, signal, reason, start and finish times (written by the shim at the end)

A run is running while its shim lives; a dead shim without exit.json means the container was lost
(reported as Kubernetes does: ContainerStatusUnknown, exit code 137).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExitInfo", "RunRecord", "load_run", "write_json", "read_json", "start_ticks", "is_alive",
           "container_id", "LOST"]


def write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def start_ticks(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat (0 when the process is gone)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0
    return int(data[data.rindex(b")") + 2:].split()[19])


def is_alive(pid: int, ticks: int) -> bool:
    """True if pid is the process that had `ticks` (not a later one reusing the number), and not a zombie."""
    if pid <= 0:
        return False
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0] != b"Z" and (not ticks or int(fields[19]) == ticks)


def container_id(uid: str, container: str, attempt: int) -> str:
    return hashlib.sha256(f"{uid}/{container}/{attempt}".encode()).hexdigest()


@dataclass(frozen=True)
class ExitInfo:
    exit_code: int
    signal: int = 0
    reason: str = ""
    message: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0


LOST = "ContainerStatusUnknown"


@dataclass
class RunRecord:
    run_dir: Path
    uid: str
    namespace: str
    pod: str
    container: str
    attempt: int
    spec_hash: str
    log_path: Path
    env: dict
    shim_pid: int = 0
    shim_ticks: int = 0
    pid: int = 0
    start_ticks: int = 0
    started_at: float = 0.0
    root: str = "/"
    exit: ExitInfo | None = None

    @property
    def id(self) -> str:
        return container_id(self.uid, self.container, self.attempt)

    @property
    def shim_alive(self) -> bool:
        return is_alive(self.shim_pid, self.shim_ticks)

    def refresh(self) -> "RunRecord":
        """Re-read state.json and exit.json; a dead shim that left no exit.json is a lost container."""
        state = read_json(self.run_dir / "state.json")
        if state:
            self.pid, self.start_ticks = state["pid"], state.get("start_ticks", 0)
            self.started_at, self.root = state.get("started_at", 0.0), state.get("root", "/")
        if self.exit is None:
            doc = read_json(self.run_dir / "exit.json")
            if doc is not None:
                self.exit = ExitInfo(doc["exit_code"], doc.get("signal", 0), doc.get("reason", ""),
                                     doc.get("message", ""), doc.get("started_at", self.started_at),
                                     doc.get("finished_at", 0.0))
            elif self.shim_pid and not self.shim_alive:
                self.exit = ExitInfo(137, 0, LOST, "The container could not be located when the pod was "
                                     "terminated", self.started_at, self.started_at)
        return self

    @property
    def running(self) -> bool:
        return self.exit is None and self.pid > 0

    @property
    def ended(self) -> bool:
        return self.exit is not None

    @property
    def started(self) -> bool:
        """The command ran (not a start failure)."""
        return self.pid > 0 or (self.exit is not None and self.exit.reason not in ("StartError",))


def load_run(run_dir: Path) -> RunRecord | None:
    spec = read_json(run_dir / "spec.json")
    if spec is None:
        return None
    meta = spec["meta"]
    rec = RunRecord(run_dir, meta["uid"], meta["namespace"], meta["pod"], meta["container"], meta["attempt"],
                    meta["spec_hash"], Path(meta["log_path"]), spec.get("env", {}))
    shim = read_json(run_dir / "shim.json")
    if shim:
        rec.shim_pid, rec.shim_ticks = shim["pid"], shim.get("start_ticks", 0)
    else:
        rec.exit = ExitInfo(128, 0, "StartError", "the container's shim never started")
    return rec.refresh()
