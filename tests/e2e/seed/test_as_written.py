"""The seed's manifests as written, on a running cluster: the claim and the Deployment are rejected (see
tests/integration/replicaset/test_seed_manifests.py for every layer of errors); the StorageClass is
accepted, but names a provisioner nobody has (`gcd-pd`), so a claim of that class never binds."""
from __future__ import annotations

from tests.e2e.seed.conftest import SEED, events_of, wait_for

AS_WRITTEN = SEED / "as-written"


async def test_as_written_nothing_runs_and_the_class_never_provisions(cluster, client, ns):
    result = await cluster.kubelab("apply", "-f", str(AS_WRITTEN), "-n", ns, check=False)
    assert result.returncode == 1
    assert result.stdout == "storageclass.storage.k8s.io/google-storage created\n"
    assert 'no matches for kind "Deployment" in version "app/v1"' in result.stderr
    assert 'strict decoding error: unknown field "spec.resource"' in result.stderr
    await cluster.kubelab("apply", "-f", str(SEED / "pvc-definition.yaml"), "-n", ns)

    async def failed():
        events = await events_of(client, ns, "data-volume")
        return "ProvisioningFailed: no volume plugin matched name: kubernetes.io/gcd-pd" in events
    await wait_for(failed, 60, "ProvisioningFailed on the claim")
    claim = await client.get("PersistentVolumeClaim", "data-volume", ns)
    assert claim.status.phase == "Pending"
    await cluster.kubelab("delete", "-f", str(AS_WRITTEN / "sc-definition.yaml"))
