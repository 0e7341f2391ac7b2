"""`kubelab chaos`: a seeded fault schedule, printed, then carried out through the launcher.

The schedule is a pure function of (seed, duration, faults, targets, hold range), so the same command
on the same cluster layout replays the same faults in the same order at the same offsets. Faults come
one at a time: inject, hold, undo (kill -> start, pause -> resume, partition -> heal; restart is its
own undo), a gap, the next. Whatever happens (Ctrl-C included), the run ends with everything healed:
partitions healed, paused processes resumed, killed ones started.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from kubelab.cluster.launcher import ClusterError, Launcher
from kubelab.cluster.specs import PROXY, REDIS

__all__ = ["FAULTS", "Step", "new_schedule", "format_step", "default_targets", "Chaos"]

FAULTS = ("kill", "pause", "partition", "restart")
_UNDO = {"kill": "start", "pause": "resume", "partition": "heal", "restart": ""}


@dataclass(frozen=True)
class Step:
    at: float
    """Seconds after the start."""
    fault: str
    target: str
    hold: float
    """Seconds between the fault and its undo (0 for restart)."""


def new_schedule(seed: int, duration: float, faults: Iterable[str], targets: Iterable[str],
                 hold: tuple[float, float] = (3.0, 8.0), gap: tuple[float, float] = (2.0, 5.0)) -> list[Step]:
    """Faults that fit in duration seconds, each undone before the next starts."""
    faults, targets = sorted(set(faults)), sorted(set(targets))
    if not faults or not targets:
        return []
    rng = random.Random(seed)
    steps, t = [], rng.uniform(*gap)
    while True:
        fault, target = rng.choice(faults), rng.choice(targets)
        held = 0.0 if fault == "restart" else round(rng.uniform(*hold), 1)
        if t + held > duration:
            return steps
        steps.append(Step(round(t, 1), fault, target, held))
        t += held + rng.uniform(*gap)


def format_step(step: Step) -> str:
    undo = f", {_UNDO[step.fault]} after {step.hold:g}s" if _UNDO[step.fault] else ""
    return f"+{step.at:5.1f}s  {step.fault} {step.target}{undo}"


def default_targets(process_names: Iterable[str]) -> list[str]:
    """Every component the launcher runs but Redis and the partition proxy (their loss is another lab)."""
    return sorted(n for n in process_names if n not in (REDIS, PROXY))


class Chaos:
    def __init__(self, launcher: Launcher, say: Callable[[str], None], clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.launcher, self.say, self.clock, self.sleep = launcher, say, clock, sleep

    def _do(self, verb: str, target: str) -> None:
        if verb == "kill":
            self.launcher.kill(target)
        elif verb == "start":
            self.launcher.start(target, wait=True, timeout=60.0)
        elif verb == "restart":
            self.launcher.restart(target, wait=True, timeout=60.0, grace=5.0)
        elif verb == "pause":
            self.launcher.pause(target)
        elif verb == "resume":
            self.launcher.resume(target)
        elif verb == "partition":
            self.launcher.partition(target)
        elif verb == "heal":
            self.launcher.heal(target)

    def _wait_until(self, start: float, offset: float) -> None:
        left = start + offset - self.clock()
        if left > 0:
            self.sleep(left)

    def _stamp(self, start: float, text: str) -> None:
        self.say(f"+{self.clock() - start:5.1f}s  {text}")

    def run(self, steps: list[Step]) -> None:
        start = self.clock()
        current: Step | None = None
        try:
            for step in steps:
                self._wait_until(start, step.at)
                current = step
                self._stamp(start, f"{step.fault} {step.target}")
                self._do(step.fault, step.target)
                if _UNDO[step.fault]:
                    self._wait_until(start, step.at + step.hold)
                    self._stamp(start, f"{_UNDO[step.fault]} {step.target}")
                    self._do(_UNDO[step.fault], step.target)
                current = None
        finally:
            self.heal_everything(current)
            self._stamp(start, "everything healed")

    def heal_everything(self, current: Step | None) -> None:
        """Undo an interrupted step, heal every partition, start what is not running."""
        if current is not None and current.fault == "pause":
            try:
                self.launcher.resume(current.target)
            except ClusterError:
                pass
        self.launcher.heal(None)
        state = self.launcher.sd.load()
        for name, rec in state.processes.items():
            if rec.desired != "running" and name not in (REDIS, PROXY):
                self.launcher.start(name, wait=True, timeout=60.0)
