import hashlib

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.informer import InformerFactory
from kubelab.storage.volume import PV_PROTECTION, PVC_PROTECTION
from services.provisioner.attachdetach.controller import AttachDetach
from services.provisioner.attachdetach.decision import (
    AttachPlan, AttachSnapshot, attachment_name, decide_attach, multi_attach_message, pod_key, unique_volume_name,
)
from services.provisioner.indexes import add_indexes
from services.provisioner.protection.decision import (
    ADD, REMOVE, claim_finalizer_action, pod_uses_claim, volume_finalizer_action,
)
from tests.unit.provisioner.objects import pod, pv, pvc

RWO, RWX = "ReadWriteOnce", "ReadWriteMany"


def disk(name="pvc-1", modes=(RWO,)):
    v = pv(name, modes=modes)
    v.spec.ClearField("host_path")
    v.spec.csi.driver, v.spec.csi.volume_handle = "network-disk.kubelab.io", name
    return v


def attachment(node, volume="pvc-1", attached=True):
    va = storage_pb2.VolumeAttachment()
    va.metadata.name = attachment_name(volume, node)
    va.spec.attacher, va.spec.node_name = "network-disk.kubelab.io", node
    va.spec.source.persistent_volume_name = volume
    va.status.attached = attached
    return va


def decide(volume, attachments=(), pods=(), reported=(), **kw):
    return decide_attach(AttachSnapshot("pvc-1", volume, attachments, pods, reported, **kw))


def test_attachment_name_is_kubernetes_hash():
    digest = hashlib.sha256(b"pvc-1network-disk.kubelab.ionode-1").hexdigest()
    assert attachment_name("pvc-1", "node-1") == "csi-" + digest


def test_attach_where_the_pod_runs_and_detach_when_it_is_gone():
    web = pod("web", "data", node="node-1")
    assert decide(disk(), pods=[web]) == AttachPlan(attach=("node-1",))
    assert decide(disk(), [attachment("node-1")], [web]) == AttachPlan()
    plan = decide(disk(), [attachment("node-1", attached=False)], [web])
    assert plan.mark_attached == (attachment_name("pvc-1", "node-1"),)
    assert decide(disk(), [attachment("node-1")], []) == AttachPlan(detach=(attachment_name("pvc-1", "node-1"),))


def test_detach_then_attach_to_the_new_node_in_one_pass():
    plan = decide(disk(), [attachment("node-1")], [pod("web-2", "data", node="node-2")])
    assert plan.detach == (attachment_name("pvc-1", "node-1"),) and plan.attach == ("node-2",)


def test_rwo_disk_in_use_elsewhere_is_a_multi_attach_error_once_per_pod():
    first, second = pod("web-a", "data", node="node-1"), pod("web-b", "data", node="node-2", created=2000)
    plan = decide(disk(), [attachment("node-1")], [first, second])
    assert plan.attach == () and plan.waiting == {pod_key(second)}
    assert plan.events == ((second, 'Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) web-a'),)
    assert decide(disk(), [attachment("node-1")], [first, second], reported={pod_key(second)}).events == ()


def test_every_pod_waiting_on_the_node_is_told_even_one_that_comes_later():
    first = pod("web-a", "data", node="node-1")
    second, third = pod("web-b", "data", node="node-2", created=2000), pod("web-c", "data", node="node-2", created=3000)
    plan = decide(disk(), [attachment("node-1")], [first, second], reported={pod_key(second)})
    assert plan.events == ()
    later = decide(disk(), [attachment("node-1")], [first, second, third], reported=plan.waiting)
    assert [p.metadata.name for p, _ in later.events] == ["web-c"]
    assert later.waiting == {pod_key(second), pod_key(third)}


def test_oldest_pod_gets_the_disk_when_both_arrive_together():
    late, early = pod("late", "data", node="node-1", created=2000), pod("early", "data", node="node-2", created=1000)
    plan = decide(disk(), pods=[late, early])
    assert plan.attach == ("node-2",) and plan.waiting == {pod_key(late)}


def test_detach_waits_while_the_kubelet_reports_the_disk_mounted_then_is_forced():
    waiting = pod("web-2", "data", node="node-2")
    plan = decide(disk(), [attachment("node-1")], [waiting], in_use={"node-1"}, now=100.0)
    assert plan.detach == () and plan.attach == () and plan.unmounting == {"node-1": 100.0}
    assert plan.events == ((waiting, 'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached '
                                     "to one node and can't be attached to another"),)
    later = decide(disk(), [attachment("node-1")], [waiting], {pod_key(waiting)}, in_use={"node-1"}, now=200.0,
                   detach_since={"node-1": 100.0})
    assert later.detach == () and later.unmounting == {"node-1": 100.0} and later.events == ()
    forced = decide(disk(), [attachment("node-1")], [waiting], {pod_key(waiting)}, in_use={"node-1"}, now=460.0,
                    detach_since={"node-1": 100.0})
    assert forced.detach == (attachment_name("pvc-1", "node-1"),) and forced.attach == ("node-2",)
    unmounted = decide(disk(), [attachment("node-1")], [waiting], {pod_key(waiting)}, now=200.0, detach_since={"node-1": 100.0})
    assert unmounted.detach == (attachment_name("pvc-1", "node-1"),) and unmounted.unmounting == {}


def test_unique_volume_name_as_the_kubelet_reports_it():
    assert unique_volume_name(disk("pvc-9")) == "kubernetes.io/csi/network-disk.kubelab.io^pvc-9"


def test_rwx_disk_attaches_everywhere():
    pods = [pod("a", "data", node="node-1"), pod("b", "data", node="node-2")]
    assert decide(disk(modes=(RWX,)), pods=pods).attach == ("node-1", "node-2")


def test_not_a_network_disk_or_gone():
    assert decide(pv("local"), pods=[pod("a", "data", node="n")]) == AttachPlan()
    assert decide(None, [attachment("node-1")]).detach == (attachment_name("pvc-1", "node-1"),)


def test_multi_attach_message_variants():
    waiting = pod("w", namespace="team-a")
    same = [pod("x", namespace="team-a"), pod("y", namespace="team-a")]
    other = [pod("z", namespace="team-b")]
    assert multi_attach_message("pv", waiting, same) == \
        'Multi-Attach error for volume "pv" Volume is already used by pod(s) x, y'
    assert multi_attach_message("pv", waiting, same + other).endswith(
        "pod(s) x, y and 1 pod(s) in different namespaces")
    assert multi_attach_message("pv", waiting, other).endswith(
        "Volume is already used by 1 pod(s) in different namespaces")
    assert multi_attach_message("pv", waiting, []).endswith(
        "Volume is already exclusively attached to one node and can't be attached to another")


def test_pvc_protection():
    claim = pvc()
    assert claim_finalizer_action(claim, []) == ADD
    claim.metadata.finalizers.append(PVC_PROTECTION)
    assert claim_finalizer_action(claim, []) is None
    claim.metadata.deletion_timestamp.FromSeconds(1)
    assert claim_finalizer_action(claim, [pod("runs", "data", node="n1")]) is None
    assert claim_finalizer_action(claim, [pod("pending", "data")]) == REMOVE  # unscheduled pods do not block
    assert claim_finalizer_action(claim, [pod("other", "else", node="n1")]) == REMOVE


def test_ephemeral_claim_of_a_shut_down_pod_does_not_block():
    user = pod("app", node="n1")
    vol = user.spec.volumes.add(name="scratch")
    vol.ephemeral.volume_claim_template.spec.access_modes.append(RWO)
    claim = pvc("app-scratch")
    claim.metadata.owner_references.add(kind="Pod", name="app", uid=user.metadata.uid, controller=True)
    assert pod_uses_claim(user, claim)
    user.metadata.deletion_timestamp.FromSeconds(1)
    user.metadata.deletion_grace_period_seconds = 0
    assert not pod_uses_claim(user, claim)


def test_pv_protection():
    volume = pv("v", phase="Bound")
    assert volume_finalizer_action(volume) == ADD
    volume.metadata.finalizers.append(PV_PROTECTION)
    volume.metadata.deletion_timestamp.FromSeconds(1)
    assert volume_finalizer_action(volume) is None
    volume.status.phase = "Released"
    assert volume_finalizer_action(volume) == REMOVE


def test_a_node_maps_to_the_volumes_attached_to_it_only():
    factory = InformerFactory(None)
    add_indexes(factory)
    attachments = [attachment("node-1", "pvc-1"), attachment("node-2", "pvc-1"), attachment("node-1", "pvc-2")]
    for i, va in enumerate(attachments):
        va.metadata.resource_version = str(i + 1)
    factory.informer("VolumeAttachment")._replace(attachments, "3")
    controller = AttachDetach(None, factory, None)
    node = core_pb2.Node()
    node.metadata.name = "node-1"
    assert sorted(controller.volumes_on_node(node)) == ["pvc-1", "pvc-2"]
    node.metadata.name = "node-3"
    assert controller.volumes_on_node(node) == []
