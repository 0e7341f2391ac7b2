from kubelab.storage.volume import (
    ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_STORAGE_PROVISIONER,
)

from services.provisioner.assumed import Assumed
from services.provisioner.binder.binding import (
    bind_claim_to_volume, bind_volume_to_claim, claim_with_provisioner, claim_with_status, unbound_volume,
    volume_with_phase,
)
from tests.unit.provisioner.objects import pv, pvc


def test_controller_binding_marks_both_sides():
    claim, volume = pvc(), pv("v")
    new_volume, dirty = bind_volume_to_claim(volume, claim)
    assert dirty and new_volume.spec.claim_ref.uid == claim.metadata.uid
    assert new_volume.spec.claim_ref.kind == "PersistentVolumeClaim"
    assert new_volume.metadata.annotations[ANN_BOUND_BY_CONTROLLER] == "yes"
    assert not volume.spec.HasField("claim_ref")  # the input is untouched
    new_claim, dirty = bind_claim_to_volume(claim, new_volume)
    assert dirty and new_claim.spec.volume_name == "v"
    assert dict(new_claim.metadata.annotations) == {ANN_BOUND_BY_CONTROLLER: "yes", ANN_BIND_COMPLETED: "yes"}
    assert bind_claim_to_volume(new_claim, new_volume)[1] is False
    assert bind_volume_to_claim(new_volume, new_claim)[1] is False


def test_user_pre_binding_is_not_marked_bound_by_controller():
    claim = pvc(volume="v")
    volume = pv("v", claim=claim, claim_uid="")
    new_volume, dirty = bind_volume_to_claim(volume, claim)
    assert dirty and new_volume.spec.claim_ref.uid == claim.metadata.uid
    assert ANN_BOUND_BY_CONTROLLER not in new_volume.metadata.annotations
    new_claim, _ = bind_claim_to_volume(claim, new_volume)
    assert ANN_BOUND_BY_CONTROLLER not in new_claim.metadata.annotations
    assert new_claim.metadata.annotations[ANN_BIND_COMPLETED] == "yes"


def test_claim_status_follows_the_volume():
    claim, volume = pvc(), pv("v", "5Gi", ["ReadWriteOnce", "ReadOnlyMany"])
    bound, dirty = claim_with_status(claim, "Bound", volume)
    assert dirty and bound.status.phase == "Bound" and dict(bound.status.capacity) == {"storage": "5Gi"}
    assert list(bound.status.access_modes) == ["ReadWriteOnce", "ReadOnlyMany"]
    assert claim_with_status(bound, "Bound", volume)[1] is False
    lost, dirty = claim_with_status(bound, "Lost", None)
    assert dirty and not lost.status.capacity and not lost.status.access_modes


def test_volume_phase_and_transition_time():
    volume = pv("v", phase="Pending")
    new, dirty = volume_with_phase(volume, "Available", "", 100.0)
    assert dirty and new.status.last_phase_transition_time.seconds == 100
    assert volume_with_phase(new, "Available", "", 200.0) == (new, False)
    failed, _ = volume_with_phase(new, "Failed", "boom", 300.0)
    assert failed.status.message == "boom"


def test_unbind():
    claim = pvc()
    by_controller = pv("a", claim=claim, annotations={ANN_BOUND_BY_CONTROLLER: "yes"})
    assert not unbound_volume(by_controller).spec.HasField("claim_ref")
    assert ANN_BOUND_BY_CONTROLLER not in unbound_volume(by_controller).metadata.annotations
    by_user = unbound_volume(pv("b", claim=claim))
    assert by_user.spec.claim_ref.name == "data" and by_user.spec.claim_ref.uid == ""


def test_claim_provisioner_sets_both_annotations():
    new, dirty = claim_with_provisioner(pvc(), "kubelab.io/shared")
    assert dirty and new.metadata.annotations[ANN_STORAGE_PROVISIONER] == "kubelab.io/shared"
    assert new.metadata.annotations[ANN_BETA_STORAGE_PROVISIONER] == "kubelab.io/shared"
    assert claim_with_provisioner(new, "kubelab.io/shared")[1] is False


def test_assumed_prefers_the_newer_copy():
    assumed, old, mine = Assumed(), pvc(), pvc()
    mine.metadata.resource_version = "5"
    assumed.remember("PVC", "default/data", mine)
    assert assumed.latest("PVC", "default/data", old).metadata.resource_version == "5"
    caught_up = pvc()
    caught_up.metadata.resource_version = "5"
    assert assumed.latest("PVC", "default/data", caught_up) is caught_up
    assert len(assumed) == 0
    assumed.remember("PVC", "default/data", mine)
    assert assumed.latest("PVC", "default/data", None) is None  # gone from the cache: deleted


def test_assumed_keys_of_a_kind_that_match():
    assumed = Assumed()
    assumed.remember("PersistentVolume", "a", pv("a"))
    assumed.remember("PersistentVolume", "b", pv("b", claim=pvc()))
    assumed.remember("PersistentVolumeClaim", "default/a", pvc("a"))
    assert assumed.keys("PersistentVolume") == ["a", "b"]
    assert assumed.keys("PersistentVolume", lambda v: not v.spec.HasField("claim_ref")) == ["a"]
