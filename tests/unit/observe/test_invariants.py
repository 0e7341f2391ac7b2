"""kubelab check on hand-made histories: each invariant broken once, and a history that keeps them all."""

from __future__ import annotations

from kubelab.observe.history import Record
from kubelab.observe.invariants import check

T0 = 1_764_936_000.0


class History:
    """Builds records as `kubelab record` writes them, one line each."""

    def __init__(self):
        self.records: list[Record] = []
        self.rv = 100

    def add(self, type_: str, obj: dict, **extra) -> "History":
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        data = {"type": type_, "kind": obj["kind"], "rv": self.rv, "time": T0 + self.rv, "object": obj, **extra}
        self.records.append(Record(len(self.records) + 1, data))
        return self

    def snapshot(self, kind: str, objects: list[dict], reason: str, rv: int | None = None) -> "History":
        data = {"type": "SNAPSHOT", "kind": kind, "rv": self.rv if rv is None else rv, "time": T0 + self.rv,
                "reason": reason, "objects": objects}
        self.records.append(Record(len(self.records) + 1, data))
        return self

    def ack(self, kind: str, namespace: str, name: str) -> "History":
        self.rv += 1
        data = {"type": "ACK", "kind": kind, "namespace": namespace, "name": name, "rv": self.rv, "time": T0}
        self.records.append(Record(len(self.records) + 1, data))
        return self


def node(name: str, ready: bool) -> dict:
    return {"kind": "Node", "metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}]}}


def sts_pod(name: str, uid: str, node_name: str, phase: str = "Running") -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "default", "uid": uid,
                                        "ownerReferences": [{"kind": "StatefulSet", "name": "web",
                                                             "controller": True}]},
            "spec": {"nodeName": node_name}, "status": {"phase": phase}}


def invariants(h: History) -> list[str]:
    return [v.invariant for v in check(h.records)]


def test_force_delete_on_an_unready_node_then_a_second_pod_running_breaks_statefulset_identity():
    h = History().add("ADDED", node("node-1", True)).add("ADDED", node("node-2", True))
    h.add("ADDED", sts_pod("web-0", "uid-a", "node-2"))
    h.add("MODIFIED", node("node-2", False))
    h.add("DELETED", sts_pod("web-0", "uid-a", "node-2"))  # force delete while node-2 is unreachable
    h.add("ADDED", sts_pod("web-0", "uid-b", "node-1", phase="Pending"))
    h.add("MODIFIED", sts_pod("web-0", "uid-b", "node-1"))
    found = check(h.records)
    assert [v.invariant for v in found] == ["statefulset-identity"]
    assert "2 pods running for one identity" in found[0].message
    assert {r.index for r in found[0].evidence} >= {3, 5, 7}


def test_a_pod_replaced_after_its_kubelet_confirmed_or_its_node_came_back_keeps_identity():
    h = History().add("ADDED", node("node-1", True)).add("ADDED", node("node-2", True))
    h.add("ADDED", sts_pod("web-0", "uid-a", "node-2"))
    h.add("DELETED", sts_pod("web-0", "uid-a", "node-2"))  # node Ready: the kubelet confirmed
    h.add("ADDED", sts_pod("web-0", "uid-b", "node-1"))
    h.add("MODIFIED", node("node-2", False))
    h.add("DELETED", sts_pod("web-0", "uid-b", "node-1"))
    h.add("MODIFIED", node("node-1", False)).add("MODIFIED", node("node-1", True))  # node-1 back: uid-b killed
    h.add("ADDED", sts_pod("web-0", "uid-c", "node-1"))
    assert invariants(h) == []


def claim(name: str, volume: str, phase: str = "Bound", uid: str | None = None) -> dict:
    return {"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "default", "uid": uid or name},
            "spec": {"volumeName": volume}, "status": {"phase": phase}}


def test_a_bound_claim_changing_volume_breaks_claim_volume():
    h = History().add("ADDED", claim("data", "pv-1")).add("MODIFIED", claim("data", "pv-2"))
    found = check(h.records)
    assert [v.invariant for v in found] == ["claim-volume"]
    assert "was bound to pv-1, now to pv-2" in found[0].message


def test_a_volume_bound_to_two_claims_breaks_claim_volume():
    h = History().add("ADDED", claim("a", "pv-1")).add("ADDED", claim("b", "pv-1"))
    found = check(h.records)
    assert [v.invariant for v in found] == ["claim-volume"]
    assert "pv-1 is bound to 2 claims: default/a, default/b" in found[0].message


def test_claims_binding_once_and_a_claim_recreated_under_its_name_keep_claim_volume():
    h = History().add("ADDED", claim("a", "", phase="Pending")).add("MODIFIED", claim("a", "pv-1"))
    h.add("ADDED", claim("b", "pv-2")).add("DELETED", claim("a", "pv-1")).add("ADDED", claim("a", "pv-3", uid="a2"))
    assert invariants(h) == []


def attachment(name: str, pv: str, node_name: str, attached: bool) -> dict:
    return {"kind": "VolumeAttachment", "metadata": {"name": name},
            "spec": {"nodeName": node_name, "source": {"persistentVolumeName": pv}}, "status": {"attached": attached}}


def volume(name: str, mode: str) -> dict:
    return {"kind": "PersistentVolume", "metadata": {"name": name}, "spec": {"accessModes": [mode]}}


def test_an_rwo_disk_attached_to_two_nodes_breaks_rwo_attach():
    h = History().add("ADDED", volume("disk", "ReadWriteOnce"))
    h.add("ADDED", attachment("va-1", "disk", "node-1", True)).add("ADDED", attachment("va-2", "disk", "node-2", True))
    found = check(h.records)
    assert [v.invariant for v in found] == ["rwo-attach"]
    assert "attached to 2 nodes at once: node-1, node-2" in found[0].message


def test_detach_before_attach_and_rwx_volumes_keep_rwo_attach():
    h = History().add("ADDED", volume("disk", "ReadWriteOnce")).add("ADDED", volume("nfs", "ReadWriteMany"))
    h.add("ADDED", attachment("va-1", "disk", "node-1", True))
    h.add("MODIFIED", attachment("va-1", "disk", "node-1", False))
    h.add("ADDED", attachment("va-2", "disk", "node-2", True))
    h.add("ADDED", attachment("va-3", "nfs", "node-1", True)).add("ADDED", attachment("va-4", "nfs", "node-2", True))
    assert invariants(h) == []


def deployment(replicas: int, generation: int = 1, observed: int = 1, surge="25%") -> dict:
    return {"kind": "Deployment", "metadata": {"name": "web", "namespace": "default", "uid": "dep",
                                               "generation": generation},
            "spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge}}},
            "status": {"observedGeneration": observed}}


def replicaset(name: str, replicas: int) -> dict:
    return {"kind": "ReplicaSet", "metadata": {"name": name, "namespace": "default", "uid": name, "ownerReferences": [
        {"kind": "Deployment", "name": "web", "uid": "dep", "controller": True}]}, "spec": {"replicas": replicas}}


def test_replicasets_above_replicas_plus_max_surge_break_deployment_surge():
    h = History().add("ADDED", deployment(4)).add("ADDED", replicaset("web-a", 4))
    h.add("ADDED", replicaset("web-b", 1))  # 5 = 4 + ceil(25% of 4): allowed
    h.add("MODIFIED", replicaset("web-b", 2))  # 6: one too many
    found = check(h.records)
    assert [v.invariant for v in found] == ["deployment-surge"]
    assert "want 6 replicas, more than replicas + maxSurge = 5" in found[0].message


def test_a_scale_down_not_yet_observed_keeps_the_old_bound():
    h = History().add("ADDED", deployment(4)).add("ADDED", replicaset("web-a", 4)).add("ADDED", replicaset("web-b", 1))
    h.add("MODIFIED", deployment(2, generation=2, observed=1))  # the controller has not seen it yet
    h.add("MODIFIED", replicaset("web-b", 0)).add("MODIFIED", replicaset("web-a", 2))
    h.add("MODIFIED", deployment(2, generation=2, observed=2))
    assert invariants(h) == []


def lease(holder: str, acquire: str, renew: str, duration: int = 15) -> dict:
    return {"kind": "Lease", "metadata": {"name": "scheduler", "namespace": "kube-system"},
            "spec": {"holderIdentity": holder, "acquireTime": acquire, "renewTime": renew,
                     "leaseDurationSeconds": duration}}


def test_a_holder_change_before_the_lease_expired_breaks_single_leader():
    h = History().add("ADDED", lease("a", "2026-12-05T12:00:00Z", "2026-12-05T12:00:10Z"))
    h.add("MODIFIED", lease("b", "2026-12-05T12:00:20Z", "2026-12-05T12:00:20Z"))  # a held it until 12:00:25
    found = check(h.records)
    assert [v.invariant for v in found] == ["lease-single-leader"]
    assert "two leaders for 5.0s" in found[0].message


def test_takeover_after_expiry_or_release_keeps_single_leader():
    h = History().add("ADDED", lease("a", "2026-12-05T12:00:00Z", "2026-12-05T12:00:10Z"))
    h.add("MODIFIED", lease("b", "2026-12-05T12:00:26Z", "2026-12-05T12:00:26Z"))
    h.add("MODIFIED", lease("", "2026-12-05T12:00:26Z", "2026-12-05T12:00:30Z"))  # b released
    h.add("MODIFIED", lease("a", "2026-12-05T12:00:31Z", "2026-12-05T12:00:31Z"))
    assert invariants(h) == []


def configmap(name: str) -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


def test_an_acknowledged_create_missing_at_the_end_is_a_lost_write():
    h = History().snapshot("ConfigMap", [], "initial").ack("ConfigMap", "default", "probe-1")
    h.ack("ConfigMap", "default", "probe-2").snapshot("ConfigMap", [configmap("probe-1")], "final")
    found = check(h.records)
    assert [v.invariant for v in found] == ["no-lost-writes"]
    assert "default/probe-2: its create was acknowledged" in found[0].message


def test_a_relist_from_an_older_revision_lacking_an_object_is_a_lost_write():
    h = History().snapshot("Pod", [], "initial").add("ADDED", sts_pod("web-0", "u", "node-1"))
    h.snapshot("Pod", [], "relist", rv=50)  # Redis came back from an older state
    found = check(h.records)
    assert [v.invariant for v in found] == ["no-lost-writes"]
    assert "lacks it" in found[0].message


def test_deleted_objects_and_gaps_filled_by_a_newer_relist_lose_nothing():
    h = History().snapshot("Pod", [], "initial").add("ADDED", sts_pod("web-0", "u", "node-1"))
    h.add("ADDED", sts_pod("web-1", "v", "node-1"))
    h.snapshot("Pod", [sts_pod("web-1", "v", "node-1")], "relist", rv=h.rv + 5)  # web-0 deleted in the gap
    h.ack("ConfigMap", "default", "probe-1").add("ADDED", configmap("probe-1")).add("DELETED", configmap("probe-1"))
    h.snapshot("Pod", [sts_pod("web-1", "v", "node-1")], "final").snapshot("ConfigMap", [], "final")
    assert invariants(h) == []
