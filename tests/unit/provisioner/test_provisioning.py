import os
from pathlib import Path

import grpc
import pytest

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError
from kubelab.informer import InformerFactory
from services.provisioner.app import builtin_provisioners
from services.provisioner.provisioning.controller import ClaimProvisioner
from services.provisioner.provisioning.decision import Provision, Refuse, Retry, Skip, decide_provision, find_orphans, \
    should_delete
from services.provisioner.provisioning.plugin import ProvisioningError, VolumeDir
from kubelab.storage.volume import ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER
from tests.unit.provisioner.objects import pv, pvc, storage_class

UID = "0f0e0d0c-0b0a-4908-8706-050403020100"
CLASSES = {"standard": storage_class("standard", "kubelab.io/local-path", "WaitForFirstConsumer"),
           "network-disk": storage_class("network-disk", "kubelab.io/network-disk"),
           "shared": storage_class("shared", "kubelab.io/shared")}
NAMES = frozenset({"kubelab.io/local-path", "kubelab.io/network-disk", "kubernetes.io/gce-pd", "kubelab.io/shared"})


def claim_for(cls, provisioner, **kw):
    annotations = {ANN_STORAGE_PROVISIONER: provisioner, **kw.pop("annotations", {})}
    return pvc(cls=cls, uid=UID, annotations=annotations, **kw)


def test_decide_provision():
    unannotated = pvc(cls="network-disk")
    assert decide_provision(unannotated, CLASSES, False, NAMES) == Skip("not a built-in provisioner's claim")
    assert isinstance(decide_provision(claim_for("network-disk", "kubelab.io/network-disk", volume="x"), CLASSES, False,
                                       NAMES), Skip)
    assert decide_provision(claim_for("gone", "kubelab.io/shared"), CLASSES, False, NAMES) == \
        Retry('storageclass.storage.k8s.io "gone" not found')
    wffc = claim_for("standard", "kubelab.io/local-path")
    assert decide_provision(wffc, CLASSES, False, NAMES) == Skip("waiting for the scheduler to select a node")
    wffc.metadata.annotations[ANN_SELECTED_NODE] = "node-2"
    assert decide_provision(wffc, CLASSES, False, NAMES) == Provision("kubelab.io/local-path", CLASSES["standard"],
                                                                       "node-2")
    assert decide_provision(wffc, CLASSES, True, NAMES) == Skip("volume already provisioned")
    block = claim_for("network-disk", "kubelab.io/network-disk", mode="Block")
    assert decide_provision(block, CLASSES, False, NAMES) == Refuse(
        "kubelab.io/network-disk", "kubelab.io/network-disk does not support block volume provisioning")


def test_should_delete():
    released = pv("v", phase="Released", policy="Delete")
    assert should_delete(released, True) and not should_delete(released, False)
    assert not should_delete(pv("v", phase="Released", policy="Retain"), True)
    assert not should_delete(pv("v", phase="Bound", policy="Delete"), True)


def test_find_orphans():
    def d(name):
        return VolumeDir(name, Path("/x") / name)
    dirs = [d("pvc-a"), d("pvc-b"), d("pvc-c"), d("pvc-d"), d("pvc-e"), d("pvc-f")]
    volumes = [pv("pvc-a")]
    claims = [pvc("waiting", uid="c"), pvc("bound-elsewhere", uid="d", volume="static")]
    orphans = find_orphans(dirs, volumes, {Path("/x/pvc-b")}, claims, in_flight={"pvc-e"})
    assert [o.volume_name for o in orphans] == ["pvc-d", "pvc-f"]


@pytest.fixture
def plugins(tmp_path):
    return builtin_provisioners(tmp_path)


def node(name="node-2"):
    n = core_pb2.Node()
    n.metadata.name = name
    n.metadata.labels["kubernetes.io/hostname"] = name
    return n


async def test_local_path_volume_on_the_selected_node(plugins, tmp_path):
    local = plugins.get("kubelab.io/local-path")
    claim = pvc("www", uid=UID, namespace="web")
    volume = await local.provision(claim, CLASSES["standard"], node())
    folder = f"pvc-{UID}_web_www"
    assert volume.metadata.name == f"pvc-{UID}"
    assert volume.spec.host_path.path == f"/var/lib/kubelab/local-path/{folder}"
    assert volume.spec.host_path.type == "DirectoryOrCreate"
    expr = volume.spec.node_affinity.required.node_selector_terms[0].match_expressions[0]
    assert (expr.key, expr.operator, list(expr.values)) == ("kubernetes.io/hostname", "In", ["node-2"])
    path = tmp_path / "nodes/node-2/var/lib/kubelab/local-path" / folder
    assert path.is_dir() and oct(os.stat(path).st_mode & 0o777) == "0o777"
    assert volume.spec.capacity["storage"] == "1Gi" and volume.spec.persistent_volume_reclaim_policy == "Delete"
    again = await local.provision(claim, CLASSES["standard"], node())  # idempotent
    assert again == volume
    volume.metadata.annotations[ANN_DYNAMICALLY_PROVISIONED] = "kubelab.io/local-path"
    assert plugins.owner(volume) is local and [d.path for d in local.volume_dirs()] == [path]
    await local.delete(volume)
    assert not path.exists()
    await local.delete(volume)  # already gone: fine


@pytest.mark.parametrize("claim, message", [
    (pvc(modes=["ReadWriteMany"]), "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"),
    (pvc(selector={"a": "b"}), "claim.Spec.Selector is not supported"),
])
async def test_local_path_refuses(plugins, claim, message):
    with pytest.raises(ProvisioningError) as failure:
        await plugins.get("kubelab.io/local-path").provision(claim, CLASSES["standard"], node())
    assert str(failure.value) == message


async def test_local_path_needs_a_node(plugins):
    with pytest.raises(ProvisioningError, match="configuration error, no node was specified"):
        await plugins.get("kubelab.io/local-path").provision(pvc(), CLASSES["standard"], None)


async def test_network_disk_and_shared(plugins, tmp_path):
    disk = plugins.get("kubernetes.io/gce-pd")
    assert disk is plugins.get("kubelab.io/network-disk")
    volume = await disk.provision(pvc(uid=UID), CLASSES["network-disk"], None)
    assert (volume.spec.csi.driver, volume.spec.csi.volume_handle) == ("network-disk.kubelab.io", f"pvc-{UID}")
    assert (tmp_path / "disks" / f"pvc-{UID}").is_dir() and plugins.owner(volume) is disk
    with pytest.raises(ProvisioningError, match="multi writer"):
        await disk.provision(pvc(modes=["ReadWriteMany"]), CLASSES["network-disk"], None)
    shared = plugins.get("kubelab.io/shared")
    volume = await shared.provision(pvc(uid=UID, modes=["ReadWriteMany"]), CLASSES["shared"], None)
    assert (volume.spec.nfs.server, volume.spec.nfs.path) == ("shared.kubelab.io", f"/pvc-{UID}")
    assert plugins.owner(volume) is shared
    await shared.delete(volume)
    assert not (tmp_path / "shared" / f"pvc-{UID}").exists()


def test_plugins_never_point_outside_their_directories(plugins):
    evil = pv("evil", host_path="/")
    term = evil.spec.node_affinity.required.node_selector_terms.add()
    term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=["node-1"])
    assert plugins.get("kubelab.io/local-path").volume_dir(evil) is None
    disk = pv("d")
    disk.spec.csi.driver, disk.spec.csi.volume_handle = "network-disk.kubelab.io", "../../etc"
    assert plugins.get("kubelab.io/network-disk").volume_dir(disk) is None
    share = pv("s")
    share.spec.nfs.server, share.spec.nfs.path = "shared.kubelab.io", "/../x"
    assert plugins.get("kubelab.io/shared").volume_dir(share) is None


class RefusingClient:
    """Answers every create with `code`: the seam between the provisioning controller and the API."""

    def __init__(self, code: grpc.StatusCode):
        self.code = code

    async def create(self, obj):
        raise ApiError(self.code, "ServiceUnavailable" if self.code == grpc.StatusCode.UNAVAILABLE else "Invalid",
                       "no")


class Recorder:
    def __init__(self):
        self.events = []

    def event(self, obj, type_, reason, message):
        self.events.append((reason, message))


@pytest.mark.parametrize("code, kept", [
    (grpc.StatusCode.UNAVAILABLE, True),  # the API server went away: the PV may have been stored
    (grpc.StatusCode.DEADLINE_EXCEEDED, True),
    (grpc.StatusCode.INVALID_ARGUMENT, False),  # refused: nothing refers to the storage
])
async def test_storage_is_removed_only_when_the_api_refused_its_volume(plugins, tmp_path, code, kept):
    disk = plugins.get("kubelab.io/network-disk")
    claim = claim_for("network-disk", "kubelab.io/network-disk")
    volume = await disk.provision(claim, CLASSES["network-disk"], None)
    path = tmp_path / "disks" / volume.metadata.name
    assert path.is_dir()
    recorder = Recorder()
    controller = ClaimProvisioner(RefusingClient(code), InformerFactory(None), plugins, lambda plugin: recorder)
    with pytest.raises(ApiError):
        await controller._store(claim, volume, disk, recorder)
    assert path.is_dir() == kept
    assert recorder.events[-1][1].endswith("Keeping the volume and retrying." if kept else "Deleting the volume.")
