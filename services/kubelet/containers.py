"""One container of a pod as its worker tracks it: the current and previous runs, its prober, and why it
waits; and how that reads as a container status.

A run is reported running only once the kubelet has seen it running at a relist (k/k `pleg/generic.go`
relists every second; a sync after a start works from the pod cache of the relist before it). The
first relist after a start comes anywhere within a period of it, half a period on average: kubelab
takes that mean, SEEN_AFTER, every time, so that what a run must outlive to be reported never varies.
A container that exits within SEEN_AFTER of its start is never written Running, nor Ready (readiness
without a probe follows a started, running container): until then the status stays what it was
before the start (waiting, with the previous run as lastState).
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

__all__ = ["ContainerSlot", "RELIST_PERIOD", "SEEN_AFTER", "terminated_of", "load_runs", "prune_runs"]

#: Seconds between two relists of the container runtime (the generic PLEG's relistPeriod).
RELIST_PERIOD = 1.0
#: Seconds from a run's start to the relist that sees it running: the mean wait for the next relist.
SEEN_AFTER = RELIST_PERIOD / 2


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
    reason_before_start: tuple[str, str] = ("ContainerCreating", "")
    """The waiting reason and message shown until a relist sees the current run running."""

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

    def seen_running_in(self, now: float) -> float | None:
        """Seconds until the relist that sees the current run running (None: no run waits for one)."""
        if not self.running:
            return None
        return max(0.0, self.current.started_at + SEEN_AFTER - now)

    def view(self, waiting_to_restart: bool, now: float) -> ContainerView:
        """The container's status; waiting_to_restart: it exited and will be started again."""
        base = dict(name=self.name, image=self.spec.image, image_id=images.image_id(self.spec.image),
                    restart_count=self.current.attempt if self.current else 0)
        cur = self.current
        if cur is None:
            return ContainerView(**base, reason=self.waiting_reason, message=self.waiting_message)
        last = terminated_of(self.previous) if self.previous and self.previous.exit else None
        if self.seen_running_in(now):  # started, not relisted yet: as before the start
            reason, message = self.reason_before_start
            base["restart_count"] = self.previous.attempt if self.previous else 0
            return ContainerView(**base, reason=reason, message=message, last=last)
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
