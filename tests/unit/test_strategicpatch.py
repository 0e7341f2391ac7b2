"""Strategic merge patch on upstream's documented cases (apimachinery strategicpatch/patch_test.go,
and the "Update API Objects in Place Using kubectl patch" task page)."""
import pytest

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.strategicpatch import StrategicPatchError, apply_to

POD = core_pb2.Pod.DESCRIPTOR
DEPLOY = apps_pb2.Deployment.DESCRIPTOR


def _containers(*cs):
    return {"spec": {"containers": list(cs)}}


CASES = [
    ("maps merge, null deletes", {"metadata": {"labels": {"a": "1", "b": "2"}}},
     {"metadata": {"labels": {"a": None, "c": "3"}}}, {"metadata": {"labels": {"b": "2", "c": "3"}}}),
    ("containers merge on name (the task page's patch-file.yaml)",
     _containers({"name": "nginx", "image": "nginx"}),
     _containers({"name": "redis", "image": "redis"}),
     _containers({"name": "nginx", "image": "nginx"}, {"name": "redis", "image": "redis"})),
    ("a matching element merges recursively", _containers({"name": "c", "image": "a", "args": ["x"]}),
     _containers({"name": "c", "image": "b"}), _containers({"name": "c", "image": "b", "args": ["x"]})),
    ("$patch: delete removes an element", _containers({"name": "a"}, {"name": "b"}),
     _containers({"name": "a", "$patch": "delete"}), _containers({"name": "b"})),
    ("$patch: replace as an element replaces the list", _containers({"name": "a"}, {"name": "b"}),
     _containers({"name": "c"}, {"$patch": "replace"}), _containers({"name": "c"})),
    ("tolerations have no strategy: replaced whole (the task page's patch-tolerations)",
     {"spec": {"tolerations": [{"key": "a", "effect": "NoSchedule"}]}},
     {"spec": {"tolerations": [{"key": "b", "effect": "NoSchedule"}]}},
     {"spec": {"tolerations": [{"key": "b", "effect": "NoSchedule"}]}}),
    ("finalizers are a union of primitives", {"metadata": {"finalizers": ["a", "b"]}},
     {"metadata": {"finalizers": ["b", "c"]}}, {"metadata": {"finalizers": ["a", "b", "c"]}}),
    ("$deleteFromPrimitiveList", {"metadata": {"finalizers": ["a", "b", "c"]}},
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}, {"metadata": {"finalizers": ["a", "c"]}}),
    ("$setElementOrder orders the merged list", _containers({"name": "a"}, {"name": "b"}),
     {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "x"}]}},
     _containers({"name": "b"}, {"name": "a", "image": "x"})),
    ("env merges on name inside a container",
     _containers({"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}),
     _containers({"name": "c", "env": [{"name": "A", "value": "9"}]}),
     _containers({"name": "c", "env": [{"name": "A", "value": "9"}, {"name": "B", "value": "2"}]})),
    ("$patch: replace on a map (StatefulSet rollback's ControllerRevision data)",
     {"spec": {"containers": [{"name": "c"}], "hostname": "h"}},
     {"spec": {"$patch": "replace", "containers": [{"name": "d"}]}}, {"spec": {"containers": [{"name": "d"}]}}),
    ("$retainKeys clears the other members of a one-of (volume source)",
     {"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}},
     {"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}, "$retainKeys": ["hostPath", "name"]}]}},
     {"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}}),
]


@pytest.mark.parametrize("original,patch,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pod_cases(original, patch, want):
    assert apply_to(original, patch, POD) == want


def test_templates_inside_a_deployment_use_the_pod_spec_keys():
    live = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"},
                                                                          {"name": "side", "image": "b"}]}}}}
    patch = {"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    got = apply_to(live, patch, DEPLOY)
    assert got["spec"]["replicas"] == 3
    assert got["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "nginx:1.27"},
                                                             {"name": "side", "image": "b"}]


def test_deployment_strategy_retains_keys():
    live = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    patch = {"spec": {"strategy": {"type": "Recreate", "$retainKeys": ["type"]}}}
    assert apply_to(live, patch, DEPLOY) == {"spec": {"strategy": {"type": "Recreate"}}}


def test_the_original_is_not_changed():
    live = {"metadata": {"labels": {"a": "1"}}}
    apply_to(live, {"metadata": {"labels": {"a": None}}}, POD)
    assert live == {"metadata": {"labels": {"a": "1"}}}


def test_an_element_without_its_merge_key_is_an_error():
    with pytest.raises(StrategicPatchError, match="does not contain declared merge key: name"):
        apply_to(_containers({"name": "a"}), _containers({"image": "x"}), POD)
