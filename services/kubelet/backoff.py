"""CrashLoopBackOff: how long a container that exited waits before it is started again.

Kubernetes' kubelet keeps one client-go `flowcontrol.Backoff` per container (pod uid + container
name): initial 10 s, doubled on every restart up to 5 min, forgotten when the container has not
been restarted for twice the maximum. A container that exits is restarted at once the first time;
after that it is "in back-off" until `delay` has passed since it finished (`doBackOff` in
kuberuntime_manager.go). Pure: times are passed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Backoff", "INITIAL", "MAXIMUM", "format_delay"]

INITIAL = 10.0
MAXIMUM = 300.0


@dataclass
class _Entry:
    delay: float
    last_update: float


@dataclass
class Backoff:
    initial: float = INITIAL
    maximum: float = MAXIMUM
    _entries: dict[str, _Entry] = field(default_factory=dict)

    @classmethod
    def scaled(cls, scale: float) -> "Backoff":
        return cls(INITIAL * scale, MAXIMUM * scale)

    def get(self, key: str) -> float:
        """The current delay for key (0 when it has none)."""
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def _expired(self, entry: _Entry, event_time: float) -> bool:
        return event_time - entry.last_update > 2 * self.maximum

    def in_backoff_since(self, key: str, event_time: float, now: float) -> bool:
        """True while less than the current delay has passed since event_time (when it finished)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, event_time):
            return False
        return now - event_time < entry.delay

    def next(self, key: str, event_time: float) -> float:
        """Record a restart whose cause happened at event_time; returns the delay for the next one."""
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, event_time):
            entry = self._entries[key] = _Entry(self.initial, event_time)
        else:
            entry.delay = min(entry.delay * 2, self.maximum)
            entry.last_update = event_time
        return entry.delay

    def remaining(self, key: str, event_time: float, now: float) -> float:
        """Seconds until the back-off that started at event_time ends (0 if it has)."""
        if not self.in_backoff_since(key, event_time, now):
            return 0.0
        return max(0.0, event_time + self._entries[key].delay - now)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_prefix(self, prefix: str) -> None:
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]

    def gc(self, now: float) -> None:
        """Drop entries not updated for twice the maximum (client-go's GC)."""
        for key in [k for k, e in self._entries.items() if now - e.last_update > 2 * self.maximum]:
            del self._entries[key]


def format_delay(seconds: float) -> str:
    """A Go duration as `back-off 10s restarting ...` shows it: 10s, 2m40s, 5m0s, 1.5s."""
    if seconds < 60:
        return f"{seconds:g}s" if seconds != int(seconds) else f"{int(seconds)}s"
    minutes, secs = divmod(seconds, 60)
    secs_text = f"{secs:g}" if secs != int(secs) else str(int(secs))
    return f"{int(minutes)}m{secs_text}s"
