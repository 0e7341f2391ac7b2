"""Attach/detach of network disks and the protection finalizers, pods placed by setting spec.nodeName."""
from __future__ import annotations

from services.provisioner.attachdetach.decision import attachment_name
from tests.integration.provisioner.conftest import (
    builtin_classes, claim, events_for, get_or_none, new_namespace, pod, volume, wait_for,
)


async def bound_claim(client, ns, name):
    async def check():
        c = await client.get("PersistentVolumeClaim", name, ns)
        return c if c.status.phase == "Bound" else None
    return await wait_for(check, what=f"claim {ns}/{name} Bound")


async def attachments(client, volume_name):
    items, _ = await client.list("VolumeAttachment")
    return {va.spec.node_name: va for va in items if va.spec.source.persistent_volume_name == volume_name}


async def test_network_disk_follows_its_pod_to_another_node(client, start_provisioner):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("disk", ns, cls="network-disk"))
    volume = (await bound_claim(client, ns, "disk")).spec.volume_name
    await client.create(pod("first", ns, "disk", node="node-1"))

    async def attached_to(node):
        vas = await attachments(client, volume)
        return vas if set(vas) == {node} and vas[node].status.attached else None
    vas = await wait_for(lambda: attached_to("node-1"), what="attached to node-1")
    va = vas["node-1"]
    assert va.metadata.name == attachment_name(volume, "node-1")
    assert va.spec.attacher == "network-disk.kubelab.io"

    # A second pod on another node while the first still runs: Multi-Attach error, no attachment.
    await client.create(pod("second", ns, "disk", node="node-2"))
    [event] = await wait_for(lambda: events_for(client, ns, "second", "FailedAttachVolume"), what="Multi-Attach")
    assert event.type == "Warning" and event.source.component == "attachdetach-controller"
    assert event.message == f'Multi-Attach error for volume "{volume}" Volume is already used by pod(s) first'
    assert set(await attachments(client, volume)) == {"node-1"}

    # Another pod that needs the disk lands on node-2 after the first was told: it is told too.
    await client.create(pod("third", ns, "disk", node="node-2"))
    [event] = await wait_for(lambda: events_for(client, ns, "third", "FailedAttachVolume"), what="Multi-Attach, third")
    assert event.message == f'Multi-Attach error for volume "{volume}" Volume is already used by pod(s) first'
    assert len(await events_for(client, ns, "second", "FailedAttachVolume")) == 1

    # The first pod goes: the disk is detached from node-1, then attached to node-2.
    await client.delete("Pod", "first", ns, grace_period_seconds=0)
    await wait_for(lambda: attached_to("node-2"), what="attached to node-2")
    assert await get_or_none(client, "VolumeAttachment", attachment_name(volume, "node-1")) is None


async def test_rwx_disk_attaches_to_every_node_and_shared_volumes_need_none(client, start_provisioner):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    disk = volume(f"rwx-disk-{ns}", "1Gi", "", modes=("ReadWriteMany",))
    disk.spec.ClearField("host_path")
    disk.spec.csi.driver, disk.spec.csi.volume_handle = "network-disk.kubelab.io", disk.metadata.name
    await client.create(disk)
    await client.create(claim("many", ns, cls="", volume=disk.metadata.name, modes=("ReadWriteMany",)))
    await client.create(claim("files", ns, cls="shared", modes=("ReadWriteMany",)))
    await bound_claim(client, ns, "many")
    shared = (await bound_claim(client, ns, "files")).spec.volume_name
    for i, node in enumerate(("node-1", "node-2")):
        await client.create(pod(f"files-{i}", ns, "files", node=node))
        await client.create(pod(f"disk-{i}", ns, "many", node=node))

    async def both_attached():
        vas = await attachments(client, disk.metadata.name)
        return set(vas) == {"node-1", "node-2"} and all(va.status.attached for va in vas.values())
    await wait_for(both_attached, what="RWX disk attached to both nodes")
    assert await attachments(client, shared) == {}


async def _finalized(client, ns, name):
    c = await client.get("PersistentVolumeClaim", name, ns)
    return "kubernetes.io/pvc-protection" in c.metadata.finalizers


async def test_deleting_a_claim_in_use_waits_for_its_pod(client, start_provisioner, cluster_dir):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("files", ns, cls="shared"))
    volume = (await bound_claim(client, ns, "files")).spec.volume_name
    await client.create(pod("user", ns, "files", node="node-1"))
    await client.create(pod("unscheduled", ns, "files"))
    await client.create(claim("witness", ns, cls="shared"))  # used by no pod
    await wait_for(lambda: _finalized(client, ns, "files"), what="pvc-protection finalizer")
    await wait_for(lambda: _finalized(client, ns, "witness"), what="pvc-protection finalizer")
    _, gone = await client.delete("PersistentVolumeClaim", "files", ns)
    assert not gone
    await client.delete("PersistentVolumeClaim", "witness", ns)
    # The protection controller takes claims in order: the witness gone means it has decided about ours.
    await wait_for(lambda: _gone(client, ns, "witness"), what="unused claim deleted")
    c = await client.get("PersistentVolumeClaim", "files", ns)
    assert c.metadata.HasField("deletion_timestamp") and c.status.phase == "Bound"
    assert (cluster_dir / "shared" / volume).is_dir()

    await client.delete("Pod", "user", ns, grace_period_seconds=0)

    async def all_gone():
        return (await get_or_none(client, "PersistentVolumeClaim", "files", ns) is None
                and await get_or_none(client, "PersistentVolume", volume) is None
                and not (cluster_dir / "shared" / volume).exists())
    await wait_for(all_gone, what="claim, volume and directory gone")


async def _gone(client, ns, name):
    return await get_or_none(client, "PersistentVolumeClaim", name, ns) is None
