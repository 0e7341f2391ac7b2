"""Dynamic provisioning by the built-in provisioners, and what a claim is told when nobody provisions it."""
from __future__ import annotations

import uuid

from tests.integration.provisioner.conftest import (
    builtin_classes, claim, ensure, events_for, get_or_none, new_namespace, nodes, pod, storage_class, wait_for,
)


async def bound_claim(client, ns, name):
    async def check():
        c = await client.get("PersistentVolumeClaim", name, ns)
        return c if c.status.phase == "Bound" else None
    return await wait_for(check, what=f"claim {ns}/{name} Bound")


async def reasons(client, ns, name):
    return [e.reason for e in await events_for(client, ns, name)]


async def test_wait_for_first_consumer_provisions_on_the_selected_node(client, start_provisioner, cluster_dir):
    await builtin_classes(client)
    await nodes(client, "node-1", "node-2")
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("www", ns))  # no class: the default class `standard` is given to it
    [event] = await wait_for(lambda: events_for(client, ns, "www", "WaitForFirstConsumer"), what="WFFC event")
    assert event.message == "waiting for first consumer to be created before binding"
    c = await client.get("PersistentVolumeClaim", "www", ns)
    assert c.spec.storage_class_name == "standard" and c.status.phase == "Pending"
    await client.create(pod("web", ns, "www"))  # not scheduled yet
    await wait_for(lambda: events_for(client, ns, "www", "WaitForPodScheduled"), what="WaitForPodScheduled")
    # What the scheduler does once it picked node-2 for the pod:
    c = await client.get("PersistentVolumeClaim", "www", ns)
    c.metadata.annotations["volume.kubernetes.io/selected-node"] = "node-2"
    await client.update(c)
    c = await bound_claim(client, ns, "www")
    pv = await client.get("PersistentVolume", c.spec.volume_name)
    folder = f"{pv.metadata.name}_{ns}_www"
    assert pv.metadata.name == f"pvc-{c.metadata.uid}"
    assert pv.spec.host_path.path == f"/var/lib/kubelab/local-path/{folder}"
    expr = pv.spec.node_affinity.required.node_selector_terms[0].match_expressions[0]
    assert (expr.key, expr.operator, list(expr.values)) == ("kubernetes.io/hostname", "In", ["node-2"])
    assert pv.metadata.annotations["pv.kubernetes.io/provisioned-by"] == "kubelab.io/local-path"
    assert pv.spec.storage_class_name == "standard" and pv.status.phase == "Bound"
    assert (cluster_dir / "nodes/node-2/var/lib/kubelab/local-path" / folder).is_dir()
    assert c.metadata.annotations["volume.kubernetes.io/storage-provisioner"] == "kubelab.io/local-path"
    [ok] = await wait_for(lambda: events_for(client, ns, "www", "ProvisioningSucceeded"), what="success event")
    async def all_reasons():
        return {"ExternalProvisioning", "Provisioning"} <= set(await reasons(client, ns, "www"))
    await wait_for(all_reasons, what="ExternalProvisioning and Provisioning events")
    assert ok.message == f"Successfully provisioned volume {pv.metadata.name}"
    assert ok.source.component == "kubelab.io/local-path"


async def test_delete_policy_removes_the_volume_and_its_directory(client, start_provisioner, cluster_dir):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("disk", ns, cls="network-disk"))
    c = await bound_claim(client, ns, "disk")
    directory = cluster_dir / "disks" / c.spec.volume_name
    pv = await client.get("PersistentVolume", c.spec.volume_name)
    assert (pv.spec.csi.driver, pv.spec.csi.volume_handle) == ("network-disk.kubelab.io", pv.metadata.name)
    assert directory.is_dir()
    (directory / "data.txt").write_text("42")
    await client.delete("PersistentVolumeClaim", "disk", ns)

    async def gone():
        return await get_or_none(client, "PersistentVolume", pv.metadata.name) is None and not directory.exists()
    await wait_for(gone, what="volume and directory deleted")


async def test_unknown_provisioner_keeps_the_claim_pending_with_a_counted_event_and_a_hint(client, start_provisioner):
    await start_provisioner()
    ns = await new_namespace(client)
    external, typo = f"ext-{uuid.uuid4().hex[:6]}", f"typo-{uuid.uuid4().hex[:6]}"
    await ensure(client, storage_class(external, "kubelab.io/network-dsk"))
    await ensure(client, storage_class(typo, "kubernetes.io/gcd-pd"))
    await client.create(claim("a", ns, cls=external))
    await client.create(claim("b", ns, cls=typo))

    async def repeated(name, reason):
        events = await events_for(client, ns, name, reason)
        return events[0] if events and events[0].count >= 2 else None
    waiting = await wait_for(lambda: repeated("a", "ExternalProvisioning"), what="ExternalProvisioning x2")
    assert waiting.message == (
        "Waiting for a volume to be created either by the external provisioner 'kubelab.io/network-dsk' or manually "
        "by the system administrator. If volume creation is delayed, please verify that the provisioner is running "
        "and correctly registered.")
    assert waiting.source.component == "persistentvolume-controller" and waiting.type == "Normal"
    hint = await wait_for(lambda: repeated("a", "UnknownProvisioner"), what="hint")
    assert hint.message.endswith('did you mean "kubelab.io/network-disk"?')
    failed = await wait_for(lambda: repeated("b", "ProvisioningFailed"), what="ProvisioningFailed x2")
    assert failed.message == "no volume plugin matched name: kubernetes.io/gcd-pd"
    hint = await wait_for(lambda: repeated("b", "UnknownProvisioner"), what="hint")
    assert hint.message.endswith('did you mean "kubernetes.io/gce-pd"?')
    for name in ("a", "b"):
        assert (await client.get("PersistentVolumeClaim", name, ns)).status.phase == "Pending"
    c = await client.get("PersistentVolumeClaim", "a", ns)
    assert c.metadata.annotations["volume.kubernetes.io/storage-provisioner"] == "kubelab.io/network-dsk"


async def test_missing_class(client, start_provisioner):
    await start_provisioner()
    ns, name = await new_namespace(client), f"nope-{uuid.uuid4().hex[:6]}"
    await client.create(claim("c", ns, cls=name))
    [event] = await wait_for(lambda: events_for(client, ns, "c", "ProvisioningFailed"), what="ProvisioningFailed")
    assert event.message == f'storageclass.storage.k8s.io "{name}" not found' and event.type == "Warning"
    # The class appears: the claim is provisioned.
    await ensure(client, storage_class(name, "kubelab.io/shared"))
    c = await bound_claim(client, ns, "c")
    assert (await client.get("PersistentVolume", c.spec.volume_name)).spec.nfs.server == "shared.kubelab.io"


async def test_default_class_is_given_retroactively(client, start_provisioner):
    await start_provisioner()
    ns = await new_namespace(client)
    removed = []
    for sc in (await client.list("StorageClass"))[0]:  # no default class for a moment
        if sc.metadata.annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
            await client.delete("StorageClass", sc.metadata.name)
            removed.append(sc)
    try:
        await client.create(claim("late", ns))
        await wait_for(lambda: events_for(client, ns, "late", "FailedBinding"), what="FailedBinding")
        default = f"default-{uuid.uuid4().hex[:6]}"
        await ensure(client, storage_class(default, "kubelab.io/shared", default=True))

        async def classified():
            return (await client.get("PersistentVolumeClaim", "late", ns)).spec.storage_class_name == default
        await wait_for(classified, what="default class assigned")
        await bound_claim(client, ns, "late")
        await client.delete("StorageClass", default)
    finally:
        for sc in removed:
            sc.metadata.resource_version = ""
            await ensure(client, sc)
