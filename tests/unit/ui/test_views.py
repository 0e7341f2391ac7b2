"""services/ui/views.py: what the page draws of each object, from real API objects (manifests)."""
from kubelab.manifest import from_dict
from services.ui.views import pod_view, pod_waits, view_of


def obj(kind: str, api_version: str = "v1", **fields):
    return from_dict({"apiVersion": api_version, "kind": kind, **fields})


def sts_pod(name: str, **status) -> dict:
    return obj("Pod", metadata={"name": name, "namespace": "default", "uid": f"uid-{name}", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "s1", "controller": True}]},
        spec={"containers": [{"name": "nginx", "image": "nginx"}],
              "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": f"www-{name}"}}]},
        status=status)


def event(reason: str, message: str, pod: str = "web-1", ts: str = "2026-12-05T10:00:00Z", type_="Warning"):
    return obj("Event", metadata={"name": f"{pod}.{reason}", "namespace": "default"}, reason=reason,
               message=message, type=type_, lastTimestamp=ts,
               involvedObject={"kind": "Pod", "namespace": "default", "name": pod})


def test_statefulset_pod_has_its_owner_ordinal_and_claims():
    v = pod_view(sts_pod("web-12", phase="Running", conditions=[{"type": "Ready", "status": "True"}],
                         containerStatuses=[{"name": "nginx", "ready": True, "restartCount": 3,
                                             "state": {"running": {}}}]))
    assert v["owner"] == {"kind": "StatefulSet", "name": "web"} and v["ordinal"] == 12
    assert (v["status"], v["ready"], v["restarts"]) == ("Running", "1/1", 3)
    assert v["claims"] == ["www-web-12"]


def test_unschedulable_pod_carries_the_schedulers_message():
    msg = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available."
    v = pod_view(sts_pod("web-0", phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}]))
    assert v["unschedulable"] == {"reason": "Unschedulable", "message": msg}
    assert v["node"] == "" and "waits" not in v


def test_a_bound_pod_not_started_shows_multi_attach_and_mount_waits():
    pod = sts_pod("web-1", phase="Pending")
    pod.spec.node_name = "node-2"
    attach = 'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node'
    events = [event("FailedAttachVolume", "old", ts="2026-12-05T09:00:00Z"), event("FailedAttachVolume", attach),
              event("FailedMount", "Unable to attach or mount volumes: timed out"),
              event("Scheduled", "Successfully assigned", type_="Normal")]
    v = pod_view(pod, events)
    assert v["waits"] == [{"reason": "FailedAttachVolume", "message": attach},
                          {"reason": "FailedMount", "message": "Unable to attach or mount volumes: timed out"}]


def test_pod_waits_ignores_normal_events():
    assert pod_waits([event("Pulled", "image present", type_="Normal")]) == []


def test_node_status_conditions_and_taints():
    node = obj("Node", metadata={"name": "node-2"}, spec={"taints": [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}]},
        status={"conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}]})
    v = view_of("Node", node)
    assert v["status"] == "NotReady"
    assert v["taints"] == ["node.kubernetes.io/unreachable:NoExecute", "dedicated=db:NoSchedule"]
    assert v["conditions"] == [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}]


def test_claim_volume_node_and_attachment_links():
    pvc = obj("PersistentVolumeClaim", metadata={"name": "www-web-0", "namespace": "default"},
              spec={"volumeName": "pvc-1", "storageClassName": "standard", "accessModes": ["ReadWriteOnce"]},
              status={"phase": "Bound"})
    pv = obj("PersistentVolume", metadata={"name": "pvc-1"}, spec={
        "claimRef": {"namespace": "default", "name": "www-web-0"}, "storageClassName": "standard",
        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}}},
        status={"phase": "Bound"})
    va = obj("VolumeAttachment", "storage.k8s.io/v1", metadata={"name": "csi-1"}, spec={
        "attacher": "kubelab.io/network-disk", "nodeName": "node-3", "source": {"persistentVolumeName": "pvc-2"}},
        status={"attached": True})
    sc = obj("StorageClass", "storage.k8s.io/v1", metadata={"name": "standard", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}}, provisioner="kubelab.io/local-path",
        volumeBindingMode="WaitForFirstConsumer")
    assert view_of("PersistentVolumeClaim", pvc)["volume"] == "pvc-1"
    assert (view_of("PersistentVolume", pv)["claim"], view_of("PersistentVolume", pv)["node"]) == (
        "default/www-web-0", "node-1")
    assert view_of("VolumeAttachment", va) | {"uid": ""} == {
        "name": "csi-1", "uid": "", "volume": "pvc-2", "node": "node-3", "attacher": "kubelab.io/network-disk",
        "attached": True}
    assert view_of("StorageClass", sc)["default"] is True
    assert view_of("StorageClass", sc)["bindingMode"] == "WaitForFirstConsumer"


def test_a_view_does_not_change_with_the_clock_or_unshown_fields():
    a = sts_pod("web-0", phase="Running")
    b = sts_pod("web-0", phase="Running")
    b.metadata.resource_version, b.metadata.annotations["note"] = "99", "x"
    assert pod_view(a) == pod_view(b)
