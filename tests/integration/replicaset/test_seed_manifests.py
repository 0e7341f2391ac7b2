"""The seed's three manifests, as the tutorial wrote them (examples/seed/as-written), through `kubelab apply -f`
against a real API server: every error Kubernetes gives, naming the file and the field; each fix reveals
the next error, as on a real cluster; the corrected manifests (examples/seed) are accepted."""
from __future__ import annotations

from pathlib import Path

from tests.integration.replicaset.conftest import kubelab
from tests.support import ROOT

AS_WRITTEN = "examples/seed/as-written"
DEPLOY = "deploy-random-number-generator.yaml"


async def test_as_written_the_claim_and_the_deployment_are_rejected(apiserver, client, ns):
    rc, out, err = await kubelab(apiserver, "apply", "-f", AS_WRITTEN, "-n", ns)
    assert rc == 1
    # A StorageClass may name any provisioner: "kubernetes.io/gcd-pd" is accepted (its claims never bind).
    assert out == "storageclass.storage.k8s.io/google-storage created\n"
    assert err == (
        'error: resource mapping not found for name: "random-number-generator" namespace: "" from '
        f'"{AS_WRITTEN}/{DEPLOY}": no matches for kind "Deployment" in version "app/v1"\n'
        "ensure CRDs are installed first\n"
        f'Error from server (BadRequest): error when creating "{AS_WRITTEN}/pvc-definition.yaml": '
        'PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: strict decoding '
        'error: unknown field "spec.resource"\n')
    sc = await client.get("StorageClass", "google-storage")
    assert sc.provisioner == "kubernetes.io/gcd-pd"
    await client.delete("StorageClass", "google-storage")


def fixed(tmp_path: Path, *fixes: tuple[str, str]) -> str:
    """The as-written Deployment with some fixes, under its own file name."""
    text = (ROOT / AS_WRITTEN / DEPLOY).read_text()
    for old, new in fixes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / DEPLOY
    path.write_text(text)
    return str(path)


API_VERSION = ("apiVersion: app/v1", "apiVersion: apps/v1")
FIELDS = [("  label:", "  labels:"), ("  replica:", "  replicas:")]


async def test_each_fix_reveals_the_next_error(apiserver, ns, tmp_path):
    path = fixed(tmp_path, API_VERSION)
    rc, _, err = await kubelab(apiserver, "apply", "-f", path, "-n", ns)
    assert (rc, err) == (1, f'Error from server (BadRequest): error when creating "{path}": Deployment in version '
                            '"v1" cannot be handled as a Deployment: strict decoding error: unknown field '
                            '"metadata.label", unknown field "spec.replica"\n')
    path = fixed(tmp_path, API_VERSION, *FIELDS)
    rc, _, err = await kubelab(apiserver, "apply", "-f", path, "-n", ns)
    assert (rc, err) == (1, f'Error from server (Invalid): error when creating "{path}": Deployment.apps '
                            '"random-number-generator" is invalid: spec.template.spec.restartPolicy: '
                            'Unsupported value: "OnFailure": supported values: "Always"\n')
    path = fixed(tmp_path, API_VERSION, *FIELDS, ("      restartPolicy: OnFailure\n", ""))
    rc, out, err = await kubelab(apiserver, "apply", "-f", path, "-n", ns)
    assert (rc, out, err) == (0, "deployment.apps/random-number-generator created\n", "")


async def test_the_corrected_manifests_are_accepted(apiserver, client, ns):
    rc, out, err = await kubelab(apiserver, "apply", "-f", "examples/seed", "-n", ns)
    assert (rc, err) == (0, "")
    assert sorted(out.splitlines()) == ["deployment.apps/random-number-generator created",
                                        "persistentvolumeclaim/data-volume created",
                                        "storageclass.storage.k8s.io/google-storage created"]
    d = await client.get("Deployment", "random-number-generator", ns)
    assert d.spec.template.spec.restart_policy == "Always" and d.spec.replicas == 1
    await client.delete("StorageClass", "google-storage")
