"""PersistentVolumes, claims, StorageClasses, VolumeAttachments and Leases: Kubernetes' rules and wording,
on create and on update (binding, resizing, immutable sources)."""
import pytest

from kubelab.meta import copy_of
from services.apiserver.validation import validate, validate_update

from .manifests import LEASE, LOCAL_PV, PV, PVC, STORAGECLASS, load, messages, stored

ACCESS_MODES = '"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'


@pytest.mark.parametrize("text, patches, want", [
    (PV, {"spec__accessModes": []}, "spec.accessModes: Required value"),
    (PV, {"spec__accessModes": ["ReadWriteSometimes"]},
     f'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: {ACCESS_MODES}'),
    (PV, {"spec__accessModes": ["ReadWriteOncePod", "ReadOnlyMany"]},
     "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"),
    (PV, {"spec__capacity": "DELETE"}, "spec.capacity: Required value"),
    (PV, {"spec__capacity": {"storage": "10Gi", "cpu": "1"}},
     'spec.capacity: Unsupported value: {"cpu":"1","storage":"10Gi"}: supported values: "storage"'),
    (PV, {"spec__capacity": {"storage": "0"}}, 'spec.capacity[storage]: Invalid value: "0": must be greater than zero'),
    (PV, {"spec__hostPath": "DELETE"}, "spec: Required value: must specify a volume type"),
    (PV, {"spec__nfs": {"server": "nfs.example.com", "path": "/exports"}},
     "spec.nfs: Forbidden: may not specify more than 1 volume type"),
    (PV, {"spec__persistentVolumeReclaimPolicy": "Keep"},
     'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'),
    (PV, {"spec__volumeMode": "Raw"}, 'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'),
    (PV, {"spec__hostPath__type": "Folder"}, 'spec.hostPath.type: Unsupported value: "Folder": supported values: "", '
     '"BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'),
    (LOCAL_PV, {"spec__nodeAffinity": "DELETE"}, "spec.nodeAffinity: Required value: Local volume requires node affinity"),
    (LOCAL_PV, {"spec__nodeAffinity__required__nodeSelectorTerms__0__matchExpressions__0__operator": "Equals"},
     "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: \"Equals\": "
     "not a valid selector operator"),
    (PVC, {"spec__accessModes": []}, "spec.accessModes: Required value: at least 1 access mode is required"),
    (PVC, {"spec__resources": {}}, "spec.resources[storage]: Required value"),
    (PVC, {"spec__resources__requests__storage": "-1Gi"},
     'spec.resources[storage]: Invalid value: "-1Gi": must be greater than zero'),
    (PVC, {"spec__selector": {"matchExpressions": [{"key": "tier", "operator": "In"}]}},
     "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
    (PVC, {"spec__storageClassName": "Fast"}, 'spec.storageClassName: Invalid value: "Fast": a lowercase RFC 1123 '
     "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
     r"alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    (STORAGECLASS, {"provisioner": ""}, "provisioner: Required value"),
    (STORAGECLASS, {"reclaimPolicy": "Recycle"},
     'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'),
    (STORAGECLASS, {"volumeBindingMode": "Later"},
     'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'),
    (LEASE, {"spec__leaseDurationSeconds": 0}, "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"),
    (LEASE, {"spec__leaseTransitions": -1},
     "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"),
])
def test_storage_rules(text, patches, want):
    assert want in messages(validate(load(text, **patches)))


def test_documentation_examples_are_valid():
    for text in (PV, PVC, LOCAL_PV, STORAGECLASS, LEASE):
        assert validate(load(text)) == [], text


def test_a_claim_may_be_bound_once_and_get_a_class_it_had_none_of():
    old = stored(load(PVC, spec__storageClassName="DELETE"))
    new = copy_of(old)
    new.spec.volume_name, new.spec.storage_class_name = "pv-1", "standard"
    assert validate_update(new, old) == []
    rebound = copy_of(new)
    rebound.spec.volume_name = "pv-2"
    assert messages(validate_update(rebound, new)) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
        'for bound claims\n- volumeName: "pv-1"\n+ volumeName: "pv-2"']


def test_only_a_bound_claim_may_grow_and_never_below_its_capacity():
    old = stored(load(PVC))
    grown = copy_of(old)
    grown.spec.resources.requests["storage"] = "5Gi"
    assert messages(validate_update(grown, old))[0].startswith("spec: Forbidden: spec is immutable after creation")
    old.status.phase, old.status.capacity["storage"] = "Bound", "3Gi"
    grown.status.CopyFrom(old.status)  # the strategy keeps the stored status
    assert validate_update(grown, old) == []
    shrunk = copy_of(old)
    shrunk.spec.resources.requests["storage"] = "1Gi"
    assert messages(validate_update(shrunk, old)) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"]


def test_a_volume_keeps_its_source_and_mode_but_may_be_claimed():
    old = stored(load(PV))
    claimed = copy_of(old)
    claimed.spec.claim_ref.name, claimed.spec.claim_ref.namespace = "task-pv-claim", "default"
    assert validate_update(claimed, old) == []
    moved = copy_of(old)
    moved.spec.host_path.path, moved.spec.volume_mode = "/mnt/other", "Block"
    assert messages(validate_update(moved, old)) == [
        "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n"
        '- hostPath.path: "/mnt/data"\n+ hostPath.path: "/mnt/other"',
        'volumeMode: Invalid value: "Block": field is immutable',
    ]


def test_storage_class_fields_are_fixed():
    old = stored(load(STORAGECLASS))
    new = copy_of(old)
    new.provisioner, new.reclaim_policy, new.volume_binding_mode = "kubelab.io/local-path", "Retain", "Immediate"
    new.parameters["type"] = "ssd"
    assert messages(validate_update(new, old)) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "Immediate": field is immutable',
    ]


def test_volume_attachment_needs_a_source_and_keeps_its_spec():
    va = {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": "csi-123"},
          "spec": {"attacher": "network-disk.kubelab.io", "nodeName": "node-1",
                   "source": {"persistentVolumeName": "pv-1"}}}
    old = stored(load(va))
    assert validate(old) == []
    assert "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName" in \
        messages(validate(load(va, spec__source={})))
    # v1 attachments name a CSI driver: a DNS subdomain, so no slash (in-tree names are refused)
    assert messages(validate(load(va, spec__attacher="kubelab.io/network-disk")))[0].startswith(
        'spec.attacher: Invalid value: "kubelab.io/network-disk": a lowercase RFC 1123 subdomain')
    moved = copy_of(old)
    moved.spec.node_name = "node-2"
    assert messages(validate_update(moved, old)) == [
        'spec: Invalid value: {"Attacher":"network-disk.kubelab.io","Source":{"PersistentVolumeName":"pv-1"},'
        '"NodeName":"node-2"}: field is immutable']
