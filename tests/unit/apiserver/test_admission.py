"""The default admission plugins' mutations on create."""
import yaml

from kubelab import manifest
from services.apiserver.admission import admit_create, default_storage_class


def load(text):
    return manifest.from_dict(yaml.safe_load(text))


def sc(name, default, created):
    c = load(f"{{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {{name: {name}}}, provisioner: x}}")
    if default:
        c.metadata.annotations["storageclass.kubernetes.io/is-default-class"] = "true"
    c.metadata.creation_timestamp.FromSeconds(created)
    return c


PVC = "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: c}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}"


def test_claim_without_class_gets_the_newest_default():
    claim = load(PVC)
    admit_create(claim, lambda: [sc("a", True, 10), sc("b", True, 20), sc("c", False, 30)])
    assert claim.spec.storage_class_name == "b"


def test_claim_naming_a_class_or_empty_class_keeps_it():
    claim = load(PVC)
    claim.spec.storage_class_name = ""
    admit_create(claim, lambda: [sc("a", True, 10)])
    assert claim.HasField("spec") and claim.spec.storage_class_name == ""
    assert default_storage_class([sc("x", False, 1)]) is None


def test_pod_default_tolerations():
    pod = load("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: nginx}], tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}]}}")
    admit_create(pod, list)
    tolerations = {(t.key, t.toleration_seconds) for t in pod.spec.tolerations}
    assert tolerations == {("node.kubernetes.io/unreachable", 5), ("node.kubernetes.io/not-ready", 300)}
