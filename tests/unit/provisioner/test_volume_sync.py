import pytest

from services.provisioner.binder.actions import DeleteHostPath, EnqueueClaim, Event, Unbind, VolumePhase
from services.provisioner.binder.volume_sync import (
    VolumeSnapshot, affinity_nodes, decide_volume, needs_claim_check, static_delete,
)
from kubelab.storage.volume import ANN_DYNAMICALLY_PROVISIONED
from tests.unit.provisioner.objects import pv, pvc


def decide(volume, claim=None, external=False):
    return decide_volume(VolumeSnapshot(volume, claim, external))


def test_unused_and_pre_bound_volumes_are_available():
    assert decide(pv("v", phase="Pending")) == [VolumePhase("Available")]
    assert decide(pv("v", claim=pvc(), claim_uid="")) == [VolumePhase("Available")]


def test_bound_pair_is_bound():
    claim = pvc(volume="v", bound=True)
    assert decide(pv("v", claim=claim), claim) == [VolumePhase("Bound")]


def test_claim_not_bound_yet_is_synced_soon():
    claim = pvc()
    assert decide(pv("v", claim=claim), claim) == [EnqueueClaim("default/data")]


def test_volume_mode_mismatch_reports_on_both():
    claim = pvc(mode="Block")
    actions = decide(pv("v", claim=claim), claim)
    assert [a.on for a in actions] == ["volume", "claim"]
    assert actions[1].message == ('Cannot bind PersistentVolume "v" to requested PersistentVolumeClaim due to '
                                  "incompatible volumeMode.")


def test_claim_gone_retain_stays_released():
    volume = pv("v", claim=pvc(), phase="Bound", policy="Retain")
    assert decide(volume) == [VolumePhase("Released")]
    volume.status.phase = "Released"
    assert decide(volume) == []


def test_claim_gone_delete_by_a_builtin_provisioner_is_left_to_it():
    volume = pv("v", claim=pvc(), phase="Bound", policy="Delete")
    assert decide(volume, external=True) == [VolumePhase("Released")]


@pytest.mark.parametrize("policy, reason, message", [
    ("Recycle", "VolumeFailedRecycle", "No recycler plugin found for the volume!"),
    ("Bogus", "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy"),
    ("Delete", "VolumeFailedDelete", "host_path deleter only supports /tmp/.+ but received provided /mnt/v"),
])
def test_reclaim_failures_mark_the_volume_failed_once(policy, reason, message):
    volume = pv("v", claim=pvc(), phase="Released", policy=policy)
    assert decide(volume) == [VolumePhase("Failed", message), Event("Warning", reason, message, "volume")]
    volume.status.phase = "Failed"
    assert decide(volume) == []


def test_static_tmp_hostpath_is_deleted_on_its_node():
    volume = pv("v", claim=pvc(), phase="Released", policy="Delete", host_path="/tmp/data")
    term = volume.spec.node_affinity.required.node_selector_terms.add()
    term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=["node-2"])
    assert decide(volume) == [DeleteHostPath("/tmp/data", ("node-2",))]
    assert affinity_nodes(pv("x")) == ()


def test_static_delete_of_other_sources():
    csi = pv("c")
    csi.spec.ClearField("host_path")
    csi.spec.csi.driver = "other.example.com"
    assert static_delete(csi) is None
    nfs = pv("n")
    nfs.spec.ClearField("host_path")
    nfs.spec.nfs.server = "nfs.example.com"
    assert static_delete(nfs) == \
        'error getting deleter volume plugin for volume "n": no deletable volume plugin matched'


def test_claim_bound_elsewhere():
    claim = pvc(volume="other", bound=True)
    dynamic = pv("v", claim=claim, policy="Delete", phase="Bound", annotations={ANN_DYNAMICALLY_PROVISIONED: "x"})
    assert decide(dynamic, claim, external=True) == [VolumePhase("Released")]
    assert decide(pv("static", claim=claim), claim) == [Unbind()]


def test_needs_claim_check():
    claim = pvc()
    volume = pv("v", claim=claim, phase="Bound")
    assert needs_claim_check(volume, None)
    assert not needs_claim_check(volume, claim)
    assert needs_claim_check(volume, pvc(uid="new"))
    volume.status.phase = "Released"
    assert not needs_claim_check(volume, None)
