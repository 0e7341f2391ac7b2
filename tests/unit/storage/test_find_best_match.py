"""The binder's entry point (findBestMatchForClaim) and checkVolumeSatisfyClaim, on the provisioner's builders."""
import pytest

from kubelab.storage.matching import candidate_mode_sets, check_volume_satisfy_claim, find_best_match
from tests.unit.provisioner.objects import pv, pvc

RWO, ROX, RWX, RWOP = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"


def names(volume):
    return volume.metadata.name if volume is not None else None


@pytest.mark.parametrize("claim, volumes, delay, want", [
    # the smallest volume that fits wins
    (pvc(size="1Gi"), [pv("big", "10Gi"), pv("small", "2Gi"), pv("tiny", "500Mi")], False, "small"),
    (pvc(size="1Gi"), [pv("exact", "1Gi"), pv("bigger", "1024Mi")], False, "bigger"),  # equal size: by name
    # class: "" only matches "", a named class only itself
    (pvc(cls="fast"), [pv("slow", cls="slow"), pv("none")], False, None),
    (pvc(cls="fast"), [pv("slow", "1Gi", cls="slow"), pv("fast", "5Gi", cls="fast")], False, "fast"),
    (pvc(), [pv("classy", cls="standard"), pv("plain", "3Gi")], False, "plain"),
    # access modes: the closest set first, even if a larger volume
    (pvc(modes=[RWO]), [pv("multi", "1Gi", [RWO, ROX]), pv("single", "5Gi", [RWO])], False, "single"),
    (pvc(modes=[RWO]), [pv("multi", "1Gi", [RWO, ROX])], False, "multi"),
    (pvc(modes=[RWX]), [pv("rwo", "1Gi", [RWO])], False, None),
    (pvc(modes=[RWO, ROX]), [pv("rwo", "1Gi", [RWO]), pv("both", "9Gi", [ROX, RWO])], False, "both"),
    # phase: only Available volumes
    (pvc(), [pv("released", phase="Released"), pv("pending", phase="Pending")], False, None),
    # selector
    (pvc(selector={"tier": "db"}), [pv("web", labels={"tier": "web"}), pv("db", "8Gi", labels={"tier": "db"})],
     False, "db"),
    # volumeMode
    (pvc(mode="Block"), [pv("fs"), pv("block", mode="Block")], False, "block"),
    (pvc(), [pv("block", mode="Block")], False, None),
    # WaitForFirstConsumer: the binder leaves unbound volumes to the scheduler
    (pvc(cls="local"), [pv("local", cls="local")], True, None),
])
def test_find_best_match(claim, volumes, delay, want):
    assert names(find_best_match(claim, volumes, delay)) == want


def test_pre_bound_volume_is_taken_first_even_if_larger_and_not_available():
    claim = pvc(size="1Gi")
    volumes = [pv("small", "1Gi"), pv("mine", "10Gi", phase="Pending", claim=claim, cls="other")]
    assert names(find_best_match(claim, volumes, delay_binding=True)) == "mine"


def test_pre_bound_volume_is_taken_before_a_closer_access_mode_set():
    """The scheduler has no mode sets: it takes the pre-bound volume, so the binder does too (upstream's
    findBestMatchForClaim would bind `single` first, and the two processes would disagree)."""
    claim = pvc(modes=[RWO])
    volumes = [pv("single", "1Gi", [RWO]), pv("mine", "5Gi", [RWO, ROX], claim=claim), pv("rox", "5Gi", [ROX])]
    assert names(find_best_match(claim, volumes, False)) == "mine"
    assert names(find_best_match(claim, [pv("single", "1Gi", [RWO]), pv("mine", "5Gi", [ROX], claim=claim, claim_uid="")],
                                 False)) == "mine"


def test_pre_bound_volume_still_needs_size_and_mode():
    claim = pvc(size="5Gi")
    assert find_best_match(claim, [pv("mine", "1Gi", claim=claim)], False) is None


def test_volume_bound_to_another_claim_or_uid_is_skipped():
    claim = pvc()
    other = pvc("other")
    volumes = [pv("theirs", claim=other), pv("old", claim=claim, claim_uid="another-uid")]
    assert find_best_match(claim, volumes, False) is None


def test_volume_being_deleted_is_skipped():
    volume = pv("going")
    volume.metadata.deletion_timestamp.FromSeconds(5)
    assert find_best_match(pvc(), [volume], False) is None


def test_candidate_mode_sets_fewest_modes_first():
    volumes = [pv("a", modes=[RWO, ROX, RWX]), pv("b", modes=[RWO]), pv("c", modes=[RWO, ROX]), pv("d", modes=[RWX])]
    assert candidate_mode_sets(volumes, [RWO]) == ["RWO", "RWO,ROX", "RWO,ROX,RWX"]


@pytest.mark.parametrize("volume, want", [
    (pv("v", "500Mi"), "requested PV is too small"),
    (pv("v", cls="other"), "storageClassName does not match"),
    (pv("v", mode="Block"), "incompatible volumeMode"),
    (pv("v", modes=[ROX]), "incompatible accessMode"),
    (pv("v"), None),
])
def test_check_volume_satisfy_claim(volume, want):
    assert check_volume_satisfy_claim(volume, pvc()) == want


def test_check_volume_satisfy_claim_deleting():
    volume = pv("v")
    volume.metadata.deletion_timestamp.FromSeconds(1)
    assert check_volume_satisfy_claim(volume, pvc()) == 'the volume is marked for deletion "v"'
