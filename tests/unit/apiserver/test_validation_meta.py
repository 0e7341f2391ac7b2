"""ObjectMeta validation: per-kind name rules, labels, annotations, owners, finalizers, and what an
update may not change. Expected strings are Kubernetes' (apimachinery api/validation, v1.34)."""
import pytest

from kubelab.meta import copy_of
from services.apiserver.validation import validate, validate_status_update, validate_update

from .manifests import DEPLOYMENT, LEASE, PV, SERVICE, STATEFULSET, load, messages, stored

SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
             "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
             r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
DNS1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
           "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
           "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
LABEL_KEY = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"


@pytest.mark.parametrize("text, patches, want", [
    (DEPLOYMENT, {"metadata__name": "Web"}, f'metadata.name: Invalid value: "Web": {SUBDOMAIN}'),
    (PV, {"metadata__name": "pv_1"}, f'metadata.name: Invalid value: "pv_1": {SUBDOMAIN}'),
    (SERVICE, {"metadata__name": "1svc"}, f'metadata.name: Invalid value: "1svc": {DNS1035}'),
    (NAMESPACE, {"metadata__name": "my.ns"}, 'metadata.name: Invalid value: "my.ns": must not contain dots'),
    (STATEFULSET, {"metadata__name": "web.v1"}, 'metadata.name: Invalid value: "web.v1": must not contain dots'),
    (DEPLOYMENT, {"metadata__name": "DELETE"}, "metadata.name: Required value: name or generateName is required"),
    (DEPLOYMENT, {"metadata__generateName": "Web-"}, f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN}'),
    (DEPLOYMENT, {"metadata__name": "x" * 254}, 'metadata.name: Invalid value: "' + "x" * 254
     + '": must be no more than 253 characters'),
])
def test_names_follow_each_kinds_rule(text, patches, want):
    assert want in messages(validate(load(text, **patches)))


def test_a_generate_name_may_end_in_a_dash():
    assert validate(load(DEPLOYMENT, metadata__generateName="web-")) == []


@pytest.mark.parametrize("patches, want", [
    ({"metadata__labels": {"bad key": "x"}}, f'metadata.labels: Invalid value: "bad key": {LABEL_KEY}'),
    ({"metadata__labels": {"app": "-x"}},
     """metadata.labels: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric """
     """characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or """
     """'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"""),
    ({"metadata__annotations": {"/x": "y"}}, 'metadata.annotations: Invalid value: "/x": prefix part must be non-empty'),
    ({"metadata__ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}]},
     "metadata.ownerReferences[0].uid: Required value: must not be empty"),
    ({"metadata__finalizers": ["custom"]}, 'metadata.finalizers[0]: Invalid value: "custom": name is neither a '
                                          "standard finalizer name nor is it fully qualified"),
    ({"metadata__namespace": "DELETE"}, "metadata.namespace: Required value"),
    ({"metadata__namespace": "Default"}, 'metadata.namespace: Invalid value: "Default": a lowercase RFC 1123 label '
     "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
     "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
])
def test_metadata_fields(patches, want):
    assert want in messages(validate(load(DEPLOYMENT, **patches)))


def test_only_one_owner_may_be_the_controller():
    owners = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": n, "uid": n, "controller": True}
              for n in ("a", "b")]
    errs = messages(validate(load(LEASE, metadata__ownerReferences=owners)))
    assert len(errs) == 1 and errs[0].startswith("metadata.ownerReferences: Invalid value: [{")
    assert errs[0].endswith('Only one reference can have Controller set to true. Found "true" in references '
                            "for ReplicaSet/a and ReplicaSet/b")


def test_cluster_scoped_kinds_take_no_namespace():
    assert messages(validate(load(PV, metadata__namespace="default"))) == [
        "metadata.namespace: Forbidden: not allowed on this type"]


def test_identity_fields_may_not_change_and_updates_need_a_resource_version():
    old = stored(load(DEPLOYMENT))
    new = copy_of(old)
    new.metadata.name, new.metadata.namespace, new.metadata.uid = "other", "kube-system", "x"
    new.metadata.resource_version, new.metadata.generation = "", 0
    assert messages(validate_update(new, old)) == [
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
        "metadata.generation: Invalid value: 0: must not be decremented",
        'metadata.name: Invalid value: "other": field is immutable',
        'metadata.namespace: Invalid value: "kube-system": field is immutable',
        'metadata.uid: Invalid value: "x": field is immutable',
    ]


def test_no_new_finalizers_once_deleting():
    old = stored(load(DEPLOYMENT, metadata__finalizers=["example.com/a"]))
    old.metadata.deletion_timestamp.FromSeconds(1_700_000_100)
    new = copy_of(old)
    new.metadata.finalizers.append("example.com/b")
    assert messages(validate_update(new, old)) == [
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new '
        'finalizers []string{"example.com/b"}']
    new.metadata.ClearField("finalizers")  # removing them is how deletion completes
    assert validate_update(new, old) == []


def test_namespace_status_phase_follows_deletion():
    old = stored(load(NAMESPACE))
    new = copy_of(old)
    new.status.phase = "Terminating"
    assert messages(validate_status_update(new, old)) == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"]
