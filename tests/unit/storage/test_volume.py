"""The storage rules both the scheduler and the PV controller read (kubelab/storage/volume.py)."""
from fractions import Fraction

import pytest

from kubelab.api.v1 import storage_pb2
from kubelab.storage.volume import (
    ANN_BETA_STORAGE_CLASS, ANN_BIND_COMPLETED, access_modes_key, check_access_modes, check_node_affinity,
    claim_class, claim_has_class, default_class, is_claim_bound, is_delay_binding, is_volume_bound_to_claim,
    modes_of_key, requested_size, volume_class, volume_mode_mismatch, volume_size,
)
from tests.unit.provisioner.objects import pv, pvc, storage_class

RWO, ROX, RWX, RWOP = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"


def test_claim_class_beta_annotation_wins_over_the_field():
    claim = pvc(cls="fast", annotations={ANN_BETA_STORAGE_CLASS: "slow"})
    assert claim_class(claim) == "slow" and claim_has_class(claim)


def test_claim_class_unset_and_empty():
    assert claim_class(pvc()) == "" and not claim_has_class(pvc())
    assert claim_class(pvc(cls="")) == "" and claim_has_class(pvc(cls=""))


def test_volume_class():
    assert volume_class(pv("v", cls="fast")) == "fast"
    assert volume_class(pv("v", cls="fast", annotations={ANN_BETA_STORAGE_CLASS: "old"})) == "old"


def test_delay_binding_needs_an_existing_wait_for_first_consumer_class():
    assert is_delay_binding(storage_class("local", mode="WaitForFirstConsumer"))
    assert not is_delay_binding(storage_class("net", mode="Immediate"))
    assert not is_delay_binding(None)


def test_default_class_newest_then_by_name():
    classes = [storage_class("a", default=True, created=10), storage_class("b", default=True, created=20),
               storage_class("c", default=True, created=20), storage_class("d", created=30)]
    assert default_class(classes).metadata.name == "b"
    assert default_class([storage_pb2.StorageClass()]) is None


def test_access_mode_keys_round_trip_in_kubernetes_order():
    assert access_modes_key([RWX, RWO, ROX, RWO]) == "RWO,ROX,RWX"
    assert modes_of_key("RWO,RWOP") == [RWO, RWOP]
    assert modes_of_key("") == []


def test_check_access_modes_and_volume_modes():
    assert check_access_modes(pvc(modes=[RWO]), pv("v", modes=[RWO, ROX]))
    assert not check_access_modes(pvc(modes=[RWO, RWX]), pv("v", modes=[RWO]))
    assert not volume_mode_mismatch(pvc(), pv("v", mode="Filesystem"))  # unset means Filesystem
    assert volume_mode_mismatch(pvc(mode="Block"), pv("v"))


@pytest.mark.parametrize("size, want", [("1Gi", 2**30), ("1.5", Fraction(3, 2)), ("1500m", Fraction(3, 2)),
                                        ("2e3", 2000), ("nonsense", 0)])
def test_sizes_are_exact(size, want):
    assert requested_size(pvc(size=size)) == want
    assert volume_size(pv("v", size)) == want


def test_a_volume_of_one_and_a_half_bytes_does_not_fit_a_claim_for_two():
    assert volume_size(pv("v", "1.5")) < requested_size(pvc(size="2"))


def test_is_volume_bound_to_claim():
    claim = pvc()
    assert is_volume_bound_to_claim(pv("v", claim=claim), claim)
    assert is_volume_bound_to_claim(pv("v", claim=claim, claim_uid=""), claim)  # pre-bound by name
    assert not is_volume_bound_to_claim(pv("v", claim=claim, claim_uid="other"), claim)
    assert not is_volume_bound_to_claim(pv("v", claim=pvc("other")), claim)
    assert not is_volume_bound_to_claim(pv("v"), claim)


def test_is_claim_bound_needs_a_volume_name_and_a_finished_binding():
    assert not is_claim_bound(pvc(volume=""))
    assert not is_claim_bound(pvc(volume="v"))
    assert is_claim_bound(pvc(volume="v", bound=True))
    assert is_claim_bound(pvc(volume="v", phase="Bound"))
    assert ANN_BIND_COMPLETED not in pvc(volume="v", phase="Bound").metadata.annotations


def test_check_node_affinity():
    volume = pv("v")
    assert check_node_affinity(volume, {}, "any")
    term = volume.spec.node_affinity.required.node_selector_terms.add()
    term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=["n1"])
    assert check_node_affinity(volume, {"kubernetes.io/hostname": "n1"}, "n1")
    assert not check_node_affinity(volume, {"kubernetes.io/hostname": "n2"}, "n2")
