"""Which events a pod gets about volumes it waits for; pure, given the clock.

A volume that cannot be set up for a reason of its own (claim not found or not bound, a hostPath of the
wrong type, an attach error) is reported at once, and again when the message changes or every
VOLUME_EVENT_INTERVAL. A network disk that is merely not attached to the node yet is not: the kubelet
waits for it (k/k `volumemanager.WaitForAttachAndMount`, podAttachAndMountTimeout = 2 minutes) and only
then says `Unable to attach or mount volumes: unmounted volumes=[...], unattached volumes=[...]: timed
out waiting for the condition`, once per wait; the attach/detach controller's Multi-Attach error is
what the pod hears meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.kubelet.volumes import VolumeProblem

__all__ = ["MountWait", "ATTACH_MOUNT_TIMEOUT", "VOLUME_EVENT_INTERVAL"]

#: Seconds a pod waits for its volumes to be attached and mounted (podAttachAndMountTimeout).
ATTACH_MOUNT_TIMEOUT = 120.0
#: Seconds between two events about the same volume problem (the check itself runs more often).
VOLUME_EVENT_INTERVAL = 30.0


def _waits_for_attach(p: VolumeProblem) -> bool:
    return p.unattached and p.reason == "FailedMount"


@dataclass
class MountWait:
    timeout: float = ATTACH_MOUNT_TIMEOUT
    since: float | None = None
    """When the current wait for volumes began (None: nothing is waited for)."""
    last: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Volume name -> (message, when) of the last event about it."""

    def events(self, problems: list[VolumeProblem], now: float) -> list[tuple[str, str]]:
        """(reason, message) of the Warning events due now, given this sync's volume problems."""
        if not problems:
            self.since = None
            return []
        if self.since is None:
            self.since = now
        out = []
        for p in (p for p in problems if not _waits_for_attach(p)):
            last = self.last.get(p.name)
            if last is None or last[0] != p.message or now - last[1] >= VOLUME_EVENT_INTERVAL:
                out.append((p.reason, p.message))
                self.last[p.name] = (p.message, now)
        if any(_waits_for_attach(p) for p in problems) and now - self.since >= self.timeout:
            unmounted = " ".join(p.name for p in problems)
            unattached = " ".join(p.name for p in problems if p.unattached)
            out.append(("FailedMount", f"Unable to attach or mount volumes: unmounted volumes=[{unmounted}], "
                                       f"unattached volumes=[{unattached}]: timed out waiting for the condition"))
            self.since = now  # the next sync waits again
        return out
