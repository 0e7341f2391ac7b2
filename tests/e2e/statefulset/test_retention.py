"""persistentVolumeClaimRetentionPolicy with the real garbage collector: the StatefulSet controller only
sets ownerReferences; `services/lifecycle` deletes the claims (and the provisioner their volumes)."""
from __future__ import annotations

import copy

import yaml

from tests.e2e.statefulset.conftest import WEB_YAML, wait_for


def manifest(tmp_path, deleted: str, scaled: str, replicas: int = 3) -> str:
    docs = list(yaml.safe_load_all(WEB_YAML.read_text()))
    sts = copy.deepcopy(docs[1])
    sts["spec"]["replicas"] = replicas
    sts["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": deleted, "whenScaled": scaled}
    path = tmp_path / f"web-{deleted}-{scaled}.yaml"
    path.write_text(yaml.safe_dump_all([docs[0], sts]))
    return str(path)


async def claim_names(client, ns) -> list[str]:
    items, _ = await client.list("PersistentVolumeClaim", ns)
    return sorted(c.metadata.name for c in items if not c.metadata.HasField("deletion_timestamp"))


async def claims_become(client, ns, names, what):
    async def ok():
        return (await claim_names(client, ns)) == names
    await wait_for(ok, 90, what)


async def ready(client, ns, n):
    async def ok():
        sts = await client.get("StatefulSet", "web", ns)
        pods, _ = await client.list("Pod", ns)
        return sts.status.ready_replicas == n and len(pods) == n
    await wait_for(ok, 90, f"{n} ready pods")


async def test_when_scaled_delete_removes_the_claims_of_removed_pods(cluster, client, ns, tmp_path):
    """should delete PVCs with a OnScaledown policy: scaling 3 -> 1 leaves only PVC 0."""
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "Retain", "Delete"))
    await ready(client, ns, 3)
    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=1")
    await claims_become(client, ns, ["www-web-0"], "only www-web-0 left")
    await cluster.kubelab("delete", "-n", ns, "sts", "web")
    await claims_become(client, ns, ["www-web-0"], "www-web-0 kept after the set is deleted (whenDeleted=Retain)")


async def test_when_deleted_delete_removes_every_claim_with_the_set(cluster, client, ns, tmp_path):
    """should delete PVCs with a WhenDeleted policy."""
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "Delete", "Retain"))
    await ready(client, ns, 3)
    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=1")
    await ready(client, ns, 1)
    assert await claim_names(client, ns) == ["www-web-0", "www-web-1", "www-web-2"]
    await cluster.kubelab("delete", "-n", ns, "sts", "web")
    await claims_become(client, ns, [], "every claim deleted with the set")
