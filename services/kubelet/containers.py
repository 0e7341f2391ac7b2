"""One container of a pod as its worker tracks it: the current and previous runs, its prober, and why it
waits; and how that reads as a container status.
"""
from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from kubelab.api.v1 import core_pb2
from services.kubelet import images
from services.kubelet.decisions import Observed
from services.kubelet.podstatus import ContainerView, Terminated
from services.kubelet.prober import ContainerProber
from services.kubelet.runtime.records import RunRecord, load_run

__all__ = ["ContainerSlot", "terminated_of", "load_runs", "prune_runs"]


@dataclass
class ContainerSlot:
    spec: core_pb2.Container
    init: bool = False
    current: RunRecord | None = None
    previous: RunRecord | None = None
    prober: ContainerProber | None = None
    watcher: asyncio.Task | None = None
    """Waits for the current run to end."""
    probing: asyncio.Task | None = None
    """Runs the current run's probes."""
    waiting_reason: str = "ContainerCreating"
    waiting_message: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def attempts(self) -> int:
        return self.current.attempt + 1 if self.current else 0

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.running

    @property
    def exit_code(self) -> int | None:
        if self.current is None or self.current.exit is None:
            return None
        return self.current.exit.exit_code

    def observed(self) -> Observed:
        return Observed(self.name, self.attempts, self.running, self.exit_code)

    def stop_probing(self) -> None:
        if self.probing is not None:
            self.probing.cancel()
            self.probing = None

    def cancel_tasks(self) -> None:
        self.stop_probing()
        if self.watcher is not None:
            self.watcher.cancel()
            self.watcher = None

    def view(self, waiting_to_restart: bool) -> ContainerView:
        """The container's status; waiting_to_restart: it exited and will be started again."""
        base = dict(name=self.name, image=self.spec.image, image_id=images.image_id(self.spec.image),
                    restart_count=self.current.attempt if self.current else 0)
        cur = self.current
        if cur is None:
            return ContainerView(**base, reason=self.waiting_reason, message=self.waiting_message)
        last = terminated_of(self.previous) if self.previous and self.previous.exit else None
        if cur.running:
            prober = self.prober
            return ContainerView(**base, state="running", started_at=cur.started_at, container_id=cur.id,
                                 last=last, ready=prober.ready if prober else True,
                                 started=prober.started if prober else True)
        term = terminated_of(cur)
        if waiting_to_restart:
            return ContainerView(**base, reason=self.waiting_reason, message=self.waiting_message, last=term)
        return ContainerView(**base, state="terminated", terminated=term, container_id=cur.id, last=last)


def terminated_of(rec: RunRecord) -> Terminated:
    ex = rec.exit
    assert ex is not None
    return Terminated(exit_code=ex.exit_code, reason=ex.reason, message=ex.message, signal=ex.signal,
                      started_at=ex.started_at or rec.started_at, finished_at=ex.finished_at,
                      container_id=rec.id)


def _attempts(container_dir: Path) -> list[int]:
    try:
        return sorted(int(p.name) for p in container_dir.iterdir() if p.name.isdigit())
    except FileNotFoundError:
        return []


def load_runs(container_dir: Path) -> tuple[RunRecord | None, RunRecord | None]:
    """The current and previous runs recorded under a container's directory."""
    attempts = _attempts(container_dir)
    current = load_run(container_dir / str(attempts[-1])) if attempts else None
    previous = load_run(container_dir / str(attempts[-2])) if len(attempts) > 1 else None
    return current, previous


def prune_runs(container_dir: Path, keep_from: int) -> None:
    """Remove the records (and logs) of runs before `keep_from`: only the previous instance is kept."""
    for attempt in _attempts(container_dir):
        if attempt < keep_from:
            run_dir = container_dir / str(attempt)
            rec = load_run(run_dir)
            if rec is not None:
                rec.log_path.unlink(missing_ok=True)
            shutil.rmtree(run_dir, ignore_errors=True)
