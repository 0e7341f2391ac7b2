"""kubelab/meta.py: DeepCopy, resourceVersion numbers, the controller reference, terminating."""
from kubelab.api.v1 import apps_pb2, core_pb2, meta_pb2
from kubelab.meta import (controller_of, copy_of, is_controlled_by, is_terminating, new_controller_ref,
                          parse_resource_version, resource_version_of)


def pod(rv: str = "7") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.resource_version = "web-0", rv
    return p


def test_copy_of_is_equal_and_independent():
    original = pod()
    copy = copy_of(original)
    copy.metadata.labels["changed"] = "yes"
    assert type(copy) is core_pb2.Pod and "changed" not in original.metadata.labels
    assert copy_of(original) == original


def test_resource_versions_as_numbers():
    assert resource_version_of(pod("42")) == 42
    assert resource_version_of(pod("")) == -1
    assert resource_version_of(pod("abc"), default=None) is None
    assert parse_resource_version("12") == 12 and parse_resource_version("", 0) == 0


def test_controller_of_takes_the_controller_reference_only():
    p = pod()
    p.metadata.owner_references.add(kind="Node", name="n1", uid="n")
    assert controller_of(p) is None and not is_controlled_by(p, "n")
    p.metadata.owner_references.add(kind="StatefulSet", name="web", uid="s", controller=True)
    assert controller_of(p).uid == "s" and is_controlled_by(p, "s") and not is_controlled_by(p, "n")


def test_new_controller_ref_names_the_owner_kind():
    sts = apps_pb2.StatefulSet()
    sts.metadata.name, sts.metadata.uid = "web", "u1"
    assert new_controller_ref(sts) == meta_pb2.OwnerReference(
        api_version="apps/v1", kind="StatefulSet", name="web", uid="u1", controller=True, block_owner_deletion=True)


def test_is_terminating():
    p = pod()
    assert not is_terminating(p)
    p.metadata.deletion_timestamp.FromSeconds(1)
    assert is_terminating(p)
