"""Killing the provisioner (SIGKILL) in the middle of provisioning, then starting it again."""
from __future__ import annotations

from tests.integration.provisioner.conftest import (
    builtin_classes, claim, get_or_none, new_namespace, wait_for,
)


async def claim_volumes(client, claims):
    """{claim uid: [names of PVs whose claimRef points at it]}."""
    volumes, _ = await client.list("PersistentVolume")
    uids = {c.metadata.uid for c in claims}
    out = {uid: [] for uid in uids}
    for v in volumes:
        if v.spec.claim_ref.uid in uids:
            out[v.spec.claim_ref.uid].append(v.metadata.name)
    return out


async def test_killed_mid_provisioning_leaves_one_volume_per_claim_and_no_orphan(client, start_provisioner,
                                                                                 cluster_dir):
    await builtin_classes(client)
    slow = await start_provisioner("--provision-latency", "120")
    ns = await new_namespace(client)
    names = ["a", "b", "c", "doomed"]
    for name in names:
        await client.create(claim(name, ns, cls="network-disk"))
    claims = [await client.get("PersistentVolumeClaim", n, ns) for n in names]
    disks = cluster_dir / "disks"

    async def all_dirs_made():
        return all((disks / f"pvc-{c.metadata.uid}").is_dir() for c in claims)
    await wait_for(all_dirs_made, what="a directory for every claim")
    assert all(not v for v in (await claim_volumes(client, claims)).values())  # no PV yet: mid-provisioning

    async def protected():
        c = await client.get("PersistentVolumeClaim", "doomed", ns)
        return "kubernetes.io/pvc-protection" in c.metadata.finalizers
    await wait_for(protected, what="pvc-protection on the doomed claim")
    slow.kill()
    await client.delete("PersistentVolumeClaim", "doomed", ns)  # while nobody provisions
    await start_provisioner()

    survivors = claims[:3]

    async def settled():
        bound = [await client.get("PersistentVolumeClaim", c.metadata.name, ns) for c in survivors]
        doomed_gone = await get_or_none(client, "PersistentVolumeClaim", "doomed", ns) is None
        orphan_gone = not (disks / f"pvc-{claims[3].metadata.uid}").exists()
        return all(c.status.phase == "Bound" for c in bound) and doomed_gone and orphan_gone
    await wait_for(settled, timeout=30, what="claims bound, the deleted claim's directory swept")

    volumes = await claim_volumes(client, claims)
    for c in survivors:
        assert volumes[c.metadata.uid] == [f"pvc-{c.metadata.uid}"]
    assert volumes[claims[3].metadata.uid] == []
    ours = {p.name for p in disks.iterdir() if p.name in {f"pvc-{c.metadata.uid}" for c in claims}}
    assert ours == {f"pvc-{c.metadata.uid}" for c in survivors}


async def test_killed_right_after_the_first_volume_appears(client, start_provisioner, cluster_dir):
    """Wherever the kill lands (directory made, PV created, binding half done), a restart converges."""
    await builtin_classes(client)
    first = await start_provisioner()
    ns = await new_namespace(client)
    names = [f"c{i}" for i in range(8)]
    for name in names:
        await client.create(claim(name, ns, cls="shared", modes=("ReadWriteMany",)))
    claims = [await client.get("PersistentVolumeClaim", n, ns) for n in names]

    async def some_volume():
        return any((await claim_volumes(client, claims)).values())
    await wait_for(some_volume, what="a first volume")
    first.kill()
    await start_provisioner()

    async def all_bound():
        items, _ = await client.list("PersistentVolumeClaim", ns)
        return len(items) == len(names) and all(c.status.phase == "Bound" for c in items)
    await wait_for(all_bound, timeout=30, what="every claim Bound")
    volumes = await claim_volumes(client, claims)
    assert all(volumes[c.metadata.uid] == [f"pvc-{c.metadata.uid}"] for c in claims)
    for c in claims:
        assert (cluster_dir / "shared" / f"pvc-{c.metadata.uid}").is_dir()
