"""What the binder's decisions ask for: small immutable values, carried out by `binder.effects`."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Event", "AssignDefaultClass", "Bind", "ClaimStatus", "SetProvisioner", "Fail", "VolumePhase",
           "EnqueueClaim", "Unbind", "DeleteHostPath", "Action", "CLAIM", "VOLUME", "NORMAL", "WARNING"]

CLAIM, VOLUME = "claim", "volume"
NORMAL, WARNING = "Normal", "Warning"


@dataclass(frozen=True)
class Event:
    type: str
    reason: str
    message: str
    on: str = CLAIM
    """CLAIM or VOLUME: the object the event is about."""


@dataclass(frozen=True)
class AssignDefaultClass:
    """Give a claim without a class the default StorageClass (admission's and the retroactive path)."""
    class_name: str


@dataclass(frozen=True)
class Bind:
    """Complete the two-way binding with this volume (`bind()`: volume, its phase, claim, its phase)."""
    volume_name: str


@dataclass(frozen=True)
class ClaimStatus:
    phase: str
    volume_name: str | None = None
    """The volume whose accessModes and capacity the status shows; None clears them."""


@dataclass(frozen=True)
class SetProvisioner:
    """Annotate the claim with the provisioner that should create its volume."""
    provisioner: str


@dataclass(frozen=True)
class Fail:
    """Stop here with an error: the sync is retried with backoff."""
    message: str


@dataclass(frozen=True)
class VolumePhase:
    phase: str
    message: str = ""


@dataclass(frozen=True)
class EnqueueClaim:
    """Sync this claim soon (a provisioned or pre-bound volume waits for its claim's sync)."""
    key: str


@dataclass(frozen=True)
class Unbind:
    """Clear the volume's claimRef (or only its uid if the user pre-bound it), then make it Available."""


@dataclass(frozen=True)
class DeleteHostPath:
    """Reclaim a released static hostPath volume under /tmp: remove the directory, then the PV."""
    path: str
    nodes: tuple[str, ...]
    """Nodes whose root holds the directory; empty: every node."""


Action = (Event | AssignDefaultClass | Bind | ClaimStatus | SetProvisioner | Fail | VolumePhase | EnqueueClaim
          | Unbind | DeleteHostPath)
