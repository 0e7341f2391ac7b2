"""The binder's decision for one claim (pv_controller `syncClaim`, `syncUnboundClaim`, `syncBoundClaim`).

`decide_claim(snapshot)` returns the actions to take, in order; it reads nothing but the snapshot.
The claim's `pv.kubernetes.io/bind-completed` annotation says which half applies: without it the claim
is looking for a volume (a match, a provisioner, or waiting for its first consumer); with it the
binding is checked and repaired, or the claim is Lost.
"""
from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.matching import check_volume_satisfy_claim, find_best_match
from kubelab.storage.volume import (
    ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, WAIT_FOR_FIRST_CONSUMER, binding_mode,
    claim_class, claim_has_class, default_class, is_volume_bound_to_claim,
)

from services.provisioner.binder.actions import (
    NORMAL, WARNING, Action, AssignDefaultClass, Bind, ClaimStatus, Event, Fail, SetProvisioner,
)
from services.provisioner.volumeutil import claim_key, claimref_key, is_pod_terminated

__all__ = ["ClaimSnapshot", "decide_claim", "external_provisioning_message", "provisioner_hint"]


@dataclass(frozen=True)
class ClaimSnapshot:
    claim: core_pb2.PersistentVolumeClaim
    volumes: Mapping[str, core_pb2.PersistentVolume]
    classes: Mapping[str, storage_pb2.StorageClass]
    pods: Sequence[core_pb2.Pod] = ()
    """Pods whose volumes use the claim."""
    provisioners: Collection[str] = ()
    """Provisioner names the built-in plugins answer to."""


def external_provisioning_message(provisioner: str) -> str:
    return (f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
            "or manually by the system administrator. If volume creation is delayed, please verify that "
            "the provisioner is running and correctly registered.")


def provisioner_hint(name: str, known: Collection[str]) -> str | None:
    """The known provisioner a misspelt name probably meant (`kubernetes.io/gcd-pd` -> `kubernetes.io/gce-pd`)."""
    if name in known:
        return None
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return close[0] if close else None


def decide_claim(s: ClaimSnapshot) -> list[Action]:
    if ANN_BIND_COMPLETED in s.claim.metadata.annotations:
        return _bound(s)
    if not claim_has_class(s.claim):
        default = default_class(s.classes.values())
        if default is not None:
            return [AssignDefaultClass(default.metadata.name)]
    if s.claim.spec.volume_name:
        return _pre_bound(s)
    return _unbound(s)


def _unbound(s: ClaimSnapshot) -> list[Action]:
    claim = s.claim
    cls = s.classes.get(claim_class(claim)) if claim_class(claim) else None
    if cls is not None and binding_mode(cls) is None:
        return [Fail(f'VolumeBindingMode not set for StorageClass "{cls.metadata.name}"')]
    delay = cls is not None and binding_mode(cls) == WAIT_FOR_FIRST_CONSUMER
    volume = find_best_match(claim, s.volumes.values(), delay)
    if volume is not None:
        return [Bind(volume.metadata.name)]
    if delay and ANN_SELECTED_NODE not in claim.metadata.annotations:
        actions: list[Action] = [_wait_for_consumer(s)]
    elif claim_class(claim):
        return _provision(s)
    else:
        actions = [Event(NORMAL, "FailedBinding", "no persistent volumes available for this claim and no storage "
                                                  "class is set")]
    return actions + [ClaimStatus("Pending")]


def _wait_for_consumer(s: ClaimSnapshot) -> Event:
    waiting = sorted(p.metadata.name for p in s.pods if not p.spec.node_name and not is_pod_terminated(p))
    if not waiting:
        return Event(NORMAL, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
    if len(waiting) == 1:
        return Event(NORMAL, "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled")
    return Event(NORMAL, "WaitForPodScheduled", f"waiting for pods {','.join(waiting)} to be scheduled")


def _provision(s: ClaimSnapshot) -> list[Action]:
    """`provisionClaim`: hand the claim to its class's provisioner, or say why nobody will."""
    name = claim_class(s.claim)
    cls = s.classes.get(name)
    if cls is None:
        return [Event(WARNING, "ProvisioningFailed", f'storageclass.storage.k8s.io "{name}" not found')]
    provisioner = cls.provisioner
    if provisioner in s.provisioners or not provisioner.startswith("kubernetes.io/"):
        actions: list[Action] = [SetProvisioner(provisioner),
                                 Event(NORMAL, "ExternalProvisioning", external_provisioning_message(provisioner))]
    else:  # an in-tree name no plugin answers to
        actions = [Event(WARNING, "ProvisioningFailed", f"no volume plugin matched name: {provisioner}")]
    hint = provisioner_hint(provisioner, s.provisioners)
    if hint is not None:
        actions.append(Event(WARNING, "UnknownProvisioner",
                             f'StorageClass "{name}" names provisioner "{provisioner}", which kubelab does not run: '
                             f'did you mean "{hint}"?'))
    return actions


def _pre_bound(s: ClaimSnapshot) -> list[Action]:
    """The user named a volume in spec.volumeName."""
    claim, name = s.claim, s.claim.spec.volume_name
    volume = s.volumes.get(name)
    if volume is None:
        return [ClaimStatus("Pending")]  # retried on the next sync
    if not volume.spec.HasField("claim_ref"):
        reason = check_volume_satisfy_claim(volume, claim)
        if reason is not None:
            return [Event(WARNING, "VolumeMismatch", f'Cannot bind to requested volume "{name}": {reason}'),
                    ClaimStatus("Pending")]
        return [Bind(name)]
    if is_volume_bound_to_claim(volume, claim):
        return [Bind(name)]
    taken = Event(WARNING, "FailedBinding", f'volume "{name}" already bound to a different claim.')
    if ANN_BOUND_BY_CONTROLLER not in claim.metadata.annotations:
        return [taken, ClaimStatus("Pending")]
    return [taken, Fail(f'invalid binding of claim "{claim_key(claim)}" to volume "{name}": volume already '
                        f'claimed by "{claimref_key(volume.spec.claim_ref)}"')]


def _bound(s: ClaimSnapshot) -> list[Action]:
    claim = s.claim
    if not claim.spec.volume_name:
        return _lost(claim, "ClaimLost",
                     "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
    volume = s.volumes.get(claim.spec.volume_name)
    if volume is None:
        return _lost(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
    if not volume.spec.HasField("claim_ref") or volume.spec.claim_ref.uid == claim.metadata.uid:
        return [Bind(volume.metadata.name)]  # repairs what is missing; nothing to write when all is well
    return _lost(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")


def _lost(claim: core_pb2.PersistentVolumeClaim, reason: str, message: str) -> list[Action]:
    if claim.status.phase == "Lost":
        return []
    return [ClaimStatus("Lost"), Event(WARNING, reason, message)]
