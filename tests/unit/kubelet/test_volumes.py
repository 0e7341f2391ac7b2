"""Volume path resolution: node paths stay inside the node root, hostPath types, claims, network disks."""
import os
from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2, storage_pb2
from services.kubelet.hostpath import HostPathError, check_host_path, secure_join
from services.kubelet.paths import NodePaths
from services.kubelet.volumes import (NETWORK_DISK_DRIVER, VolumeContext, VolumeProblem, VolumeSource,
                                      attachment_name, resolve_volume)


def test_secure_join_stays_in_root(tmp_path):
    root = tmp_path / "node"
    root.mkdir()
    assert secure_join(root, "/mnt/data") == root / "mnt" / "data"
    assert secure_join(root, "/../../etc/passwd") == root / "etc" / "passwd"
    assert secure_join(root, "a/./b/../c") == root / "a" / "c"
    (root / "mnt").mkdir()
    os.symlink("/etc", root / "mnt" / "abs")
    os.symlink("../../../..", root / "mnt" / "up")
    assert secure_join(root, "/mnt/abs/hosts") == root / "etc" / "hosts"
    assert secure_join(root, "/mnt/up/x") == root / "x"
    os.symlink("loop", root / "loop")
    with pytest.raises(HostPathError, match="too many levels"):
        secure_join(root, "/loop")


def test_host_path_types(tmp_path):
    d = tmp_path / "d"
    check_host_path(d, "/d", "DirectoryOrCreate")
    assert d.is_dir()
    check_host_path(tmp_path / "u" / "v", "/u/v", "")
    assert (tmp_path / "u" / "v").is_dir()
    check_host_path(d, "/d", "Directory")
    with pytest.raises(HostPathError, match="hostPath type check failed: /missing is not a directory"):
        check_host_path(tmp_path / "missing", "/missing", "Directory")
    check_host_path(d / "f", "/d/f", "FileOrCreate")
    assert (d / "f").is_file()
    with pytest.raises(HostPathError, match="/d is not a file"):
        check_host_path(d, "/d", "File")
    with pytest.raises(HostPathError, match="/d/f is not a directory"):
        check_host_path(d / "f", "/d/f", "DirectoryOrCreate")
    with pytest.raises(HostPathError, match="is not a file"):
        check_host_path(tmp_path / "nodir" / "f", "/nodir/f", "FileOrCreate")
    with pytest.raises(HostPathError, match="is not a socket"):
        check_host_path(d / "f", "/d/f", "Socket")
    with pytest.raises(HostPathError, match="not supported"):
        check_host_path(d, "/d", "Bogus")


class Lookups:
    def __init__(self, pvcs=(), pvs=(), vas=()):
        self.pvcs = {(p.metadata.namespace, p.metadata.name): p for p in pvcs}
        self.pvs = {p.metadata.name: p for p in pvs}
        self.vas = {v.metadata.name: v for v in vas}

    def pvc(self, ns, name):
        return self.pvcs.get((ns, name))

    def pv(self, name):
        return self.pvs.get(name)

    def attachment(self, name):
        return self.vas.get(name)


def ctx(tmp_path, lookups):
    return VolumeContext(NodePaths(tmp_path / "nodes" / "node-2"), tmp_path, "node-2", lookups)


def new_pod():
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = "db", "default", "uid-1"
    return p


def claim_volume(name="data", claim="data-db-0"):
    return core_pb2.Volume(name=name, persistent_volume_claim=core_pb2.PersistentVolumeClaimVolumeSource(
        claim_name=claim))


def bound(pv_name="pv-1", claim="data-db-0"):
    pvc = core_pb2.PersistentVolumeClaim()
    pvc.metadata.name, pvc.metadata.namespace, pvc.metadata.uid = claim, "default", "c1"
    pvc.spec.volume_name = pv_name
    pvc.status.phase = "Bound"
    pv = core_pb2.PersistentVolume()
    pv.metadata.name = pv_name
    pv.spec.claim_ref.name, pv.spec.claim_ref.namespace, pv.spec.claim_ref.uid = claim, "default", "c1"
    return pvc, pv


def test_empty_dir_and_host_path(tmp_path):
    c = ctx(tmp_path, Lookups())
    res = resolve_volume(new_pod(), core_pb2.Volume(name="cache", empty_dir=core_pb2.EmptyDirVolumeSource()), c)
    assert res.path == c.paths.root / "var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache"
    vol = core_pb2.Volume(name="d", host_path=core_pb2.HostPathVolumeSource(path="/mnt/data", type="Directory"))
    res = resolve_volume(new_pod(), vol, c)
    assert res == VolumeSource("d", c.paths.root / "mnt" / "data", kind="hostPath", host_path_type="Directory",
                               shown="/mnt/data")


def test_claim_must_exist_and_be_bound(tmp_path):
    pvc, pv = bound()
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups()))
    assert isinstance(res, VolumeProblem) and 'persistentvolumeclaim "data-db-0" not found' in res.message
    pvc.status.phase = "Pending"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv])))
    assert res.message == "error processing PVC default/data-db-0: PVC is not bound"
    pvc.status.phase = "Bound"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc])))
    assert 'persistentvolume "pv-1" not found' in res.message
    pv.spec.claim_ref.uid = "other"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv])))
    assert "bound to another claim" in res.message


def test_local_path_and_shared_volumes(tmp_path):
    pvc, pv = bound()
    pv.spec.host_path.path = "/var/lib/kubelab/local-path/pv-1_default_data-db-0"
    pv.spec.host_path.type = "DirectoryOrCreate"
    c = ctx(tmp_path, Lookups([pvc], [pv]))
    res = resolve_volume(new_pod(), claim_volume(), c)
    assert res.path == c.paths.root / "var/lib/kubelab/local-path/pv-1_default_data-db-0"
    assert res.host_path_type == "DirectoryOrCreate" and not res.unique_name
    pv.ClearField("spec")
    pv.spec.claim_ref.name, pv.spec.claim_ref.namespace = "data-db-0", "default"
    pv.spec.nfs.server, pv.spec.nfs.path = "shared.kubelab.io", "/pv-1"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv])))
    assert res.path == tmp_path / "shared" / "pv-1"
    pv.spec.nfs.server = "nfs.example.com"
    assert isinstance(resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv]))),
                      VolumeProblem)


def test_network_disk_waits_for_its_attachment(tmp_path):
    pvc, pv = bound()
    pv.spec.csi.driver, pv.spec.csi.volume_handle = NETWORK_DISK_DRIVER, "pv-1"
    va = storage_pb2.VolumeAttachment()
    va.metadata.name = attachment_name("pv-1", NETWORK_DISK_DRIVER, "node-2")
    va.spec.attacher, va.spec.node_name = NETWORK_DISK_DRIVER, "node-2"
    va.spec.source.persistent_volume_name = "pv-1"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv])))
    assert res.reason == "FailedMount" and res.unattached and "unattached volumes=[data]" in res.message
    va.status.attach_error.message = "Multi-Attach error for volume pv-1"
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv], [va])))
    assert res.reason == "FailedAttachVolume" and "Multi-Attach" in res.message
    va.status.attached = True
    res = resolve_volume(new_pod(), claim_volume(), ctx(tmp_path, Lookups([pvc], [pv], [va])))
    assert res.path == tmp_path / "disks" / "pv-1"
    assert res.unique_name == "kubernetes.io/csi/network-disk.kubelab.io^pv-1"


def test_attachment_name_is_kubernetes():
    import hashlib
    want = "csi-" + hashlib.sha256(b"pv-1network-disk.kubelab.ionode-2").hexdigest()
    assert attachment_name("pv-1", "network-disk.kubelab.io", "node-2") == want


def test_unsupported_volume_kinds_say_so(tmp_path):
    vol = core_pb2.Volume(name="inline", csi=core_pb2.CSIVolumeSource(driver="x"))
    res = resolve_volume(new_pod(), vol, ctx(tmp_path, Lookups()))
    assert isinstance(res, VolumeProblem) and "csi volumes" in res.message


def test_paths_layout():
    p = NodePaths(Path("/c/nodes/node-1"))
    assert p.log_file("ns", "web", "u", "nginx", 2) == Path("/c/nodes/node-1/var/log/pods/ns_web_u/nginx/2.log")
    assert p.run_dir("u", "nginx", 0) == Path("/c/nodes/node-1/var/lib/kubelet/pods/u/containers/nginx/0")
