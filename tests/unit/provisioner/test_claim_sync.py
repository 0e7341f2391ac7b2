import pytest

from kubelab.storage.volume import ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE

from services.provisioner.binder.actions import (
    AssignDefaultClass, Bind, ClaimStatus, Event, Fail, SetProvisioner,
)
from services.provisioner.binder.claim_sync import (
    ClaimSnapshot, decide_claim, external_provisioning_message, provisioner_hint,
)
from tests.unit.provisioner.objects import pod, pv, pvc, storage_class

BUILTIN = frozenset({"kubelab.io/local-path", "kubelab.io/network-disk", "kubernetes.io/gce-pd", "kubelab.io/shared"})
CLASSES = [storage_class("standard", "kubelab.io/local-path", "WaitForFirstConsumer", default=True),
           storage_class("network-disk", "kubelab.io/network-disk")]


def decide(claim, volumes=(), classes=CLASSES, pods=()):
    return decide_claim(ClaimSnapshot(claim, {v.metadata.name: v for v in volumes},
                                      {c.metadata.name: c for c in classes}, pods, BUILTIN))


def test_claim_without_class_gets_the_default_class_first():
    assert decide(pvc(), [pv("plain")]) == [AssignDefaultClass("standard")]


def test_newest_default_class_wins():
    classes = [storage_class("old", default=True, created=1), storage_class("new", default=True, created=2),
               storage_class("also-new", default=True, created=2)]
    assert decide(pvc(), classes=classes) == [AssignDefaultClass("also-new")]


def test_explicit_empty_class_is_kept_and_matches_classless_volumes():
    assert decide(pvc(cls=""), [pv("plain")]) == [Bind("plain")]


def test_without_default_class_classless_claim_binds_or_reports():
    assert decide(pvc(), [pv("plain")], classes=[]) == [Bind("plain")]
    assert decide(pvc(), classes=[]) == [
        Event("Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set"),
        ClaimStatus("Pending")]


def test_wait_for_first_consumer_events():
    claim = pvc(cls="standard")
    assert decide(claim) == [Event("Normal", "WaitForFirstConsumer",
                                   "waiting for first consumer to be created before binding"), ClaimStatus("Pending")]
    assert decide(claim, pods=[pod("web", "data"), pod("done", "data", phase="Succeeded")])[0] == \
        Event("Normal", "WaitForPodScheduled", "waiting for pod web to be scheduled")
    assert decide(claim, pods=[pod("b", "data"), pod("a", "data"), pod("placed", "data", node="n1")])[0] == \
        Event("Normal", "WaitForPodScheduled", "waiting for pods a,b to be scheduled")


def test_selected_node_hands_the_claim_to_its_provisioner():
    claim = pvc(cls="standard", annotations={ANN_SELECTED_NODE: "node-1"})
    assert decide(claim) == [SetProvisioner("kubelab.io/local-path"),
                             Event("Normal", "ExternalProvisioning",
                                   external_provisioning_message("kubelab.io/local-path"))]


def test_immediate_class_provisions_at_once():
    assert decide(pvc(cls="network-disk"))[0] == SetProvisioner("kubelab.io/network-disk")


def test_external_provisioning_message_is_kubernetes_text():
    assert external_provisioning_message("x.io/y") == (
        "Waiting for a volume to be created either by the external provisioner 'x.io/y' or manually by the "
        "system administrator. If volume creation is delayed, please verify that the provisioner is running and "
        "correctly registered.")


def test_missing_class():
    assert decide(pvc(cls="x")) == [Event("Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "x" not found')]


def test_unknown_external_provisioner_waits_and_hints():
    classes = [storage_class("google-storage", "kubelab.io/network-dsk")]
    actions = decide(pvc(cls="google-storage"), classes=classes)
    assert actions == [
        SetProvisioner("kubelab.io/network-dsk"),
        Event("Normal", "ExternalProvisioning", external_provisioning_message("kubelab.io/network-dsk")),
        Event("Warning", "UnknownProvisioner", 'StorageClass "google-storage" names provisioner '
              '"kubelab.io/network-dsk", which kubelab does not run: did you mean "kubelab.io/network-disk"?')]


def test_unknown_in_tree_name_fails_like_kubernetes_with_a_hint():
    classes = [storage_class("google-storage", "kubernetes.io/gcd-pd")]
    actions = decide(pvc(cls="google-storage"), classes=classes)
    assert actions[0] == Event("Warning", "ProvisioningFailed", "no volume plugin matched name: kubernetes.io/gcd-pd")
    assert actions[1].reason == "UnknownProvisioner" and 'did you mean "kubernetes.io/gce-pd"?' in actions[1].message
    assert len(actions) == 2


def test_gce_pd_is_answered_by_the_network_disk():
    classes = [storage_class("pd", "kubernetes.io/gce-pd")]
    assert decide(pvc(cls="pd"), classes=classes)[0] == SetProvisioner("kubernetes.io/gce-pd")


@pytest.mark.parametrize("name, want", [
    ("kubernetes.io/gcd-pd", "kubernetes.io/gce-pd"), ("kubelab.io/local_path", "kubelab.io/local-path"),
    ("kubelab.io/shared", None), ("example.com/nfs", None), ("kubernetes.io/no-provisioner", None),
])
def test_provisioner_hint(name, want):
    assert provisioner_hint(name, BUILTIN) == want


def test_pre_bound_claim():
    claim = pvc(volume="mine", cls="")
    assert decide(claim) == [ClaimStatus("Pending")]  # volume does not exist yet
    assert decide(claim, [pv("mine")]) == [Bind("mine")]
    assert decide(claim, [pv("mine", "10Mi")]) == [
        Event("Warning", "VolumeMismatch", 'Cannot bind to requested volume "mine": requested PV is too small'),
        ClaimStatus("Pending")]
    assert decide(claim, [pv("mine", claim=claim, claim_uid="")]) == [Bind("mine")]


def test_pre_bound_claim_to_a_volume_of_another_claim():
    claim, other = pvc(volume="mine", cls=""), pvc("other")
    taken = Event("Warning", "FailedBinding", 'volume "mine" already bound to a different claim.')
    assert decide(claim, [pv("mine", claim=other)]) == [taken, ClaimStatus("Pending")]
    claim.metadata.annotations[ANN_BOUND_BY_CONTROLLER] = "yes"
    actions = decide(claim, [pv("mine", claim=other)])
    assert actions[0] == taken and isinstance(actions[1], Fail)


def test_bound_claim_is_repaired_or_lost():
    claim = pvc(volume="mine", cls="", bound=True, phase="Bound")
    assert decide(claim, [pv("mine", claim=claim, phase="Bound")]) == [Bind("mine")]
    assert decide(claim, [pv("mine")]) == [Bind("mine")]  # the volume lost its claimRef: bind again
    assert decide(claim) == [ClaimStatus("Lost"), Event(
        "Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")]
    assert decide(claim, [pv("mine", claim=claim, claim_uid="someone-else")]) == [ClaimStatus("Lost"), Event(
        "Warning", "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")]
    claim.spec.volume_name = ""
    assert decide(claim)[1].message == "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"


def test_lost_is_reported_once():
    claim = pvc(volume="gone", cls="", bound=True, phase="Lost")
    assert decide(claim) == []
