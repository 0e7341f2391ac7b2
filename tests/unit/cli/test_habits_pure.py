"""Pure parts of the habit verbs: strategic merge patch, custom-columns and sort-by, label and taint specs."""
from __future__ import annotations

import pytest

from kubelab import strategicpatch
from kubelab.api.v1 import core_pb2
from kubelab.cli.cmd import label as label_cmds
from kubelab.cli.cmd.patch import apply_patch
from kubelab.cli.render import columns
from kubelab.cli.session import CliError

POD = {"spec": {"containers": [
    {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}], "env": [{"name": "X", "value": "1"}],
     "volumeMounts": [{"name": "d", "mountPath": "/data"}]},
    {"name": "b", "image": "busybox"}],
    "tolerations": [{"key": "k", "operator": "Exists"}], "volumes": [{"name": "d", "emptyDir": {}}]},
    "metadata": {"finalizers": ["x"]}}


def test_strategic_merges_containers_by_name_and_keeps_the_rest():
    out = apply_patch(POD, {"spec": {"containers": [{"name": "a", "image": "nginx:2"}]}}, "strategic", core_pb2.Pod)
    a, b = out["spec"]["containers"]
    assert a["image"] == "nginx:2" and a["ports"] == [{"containerPort": 80}] and b["name"] == "b"


def test_strategic_nested_keyed_lists_env_ports_mounts():
    patch = {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}],
                                      "ports": [{"containerPort": 443}],
                                      "volumeMounts": [{"mountPath": "/data", "readOnly": True}]}]}}
    a = apply_patch(POD, patch, "strategic", core_pb2.Pod)["spec"]["containers"][0]
    assert [e["name"] for e in a["env"]] == ["X", "Y"]
    assert [p["containerPort"] for p in a["ports"]] == [80, 443]
    assert a["volumeMounts"] == [{"name": "d", "mountPath": "/data", "readOnly": True}]


def test_strategic_delete_directive_null_and_replaced_lists():
    out = apply_patch(POD, {"spec": {"containers": [{"name": "b", "$patch": "delete"}],
                                              "tolerations": [{"key": "z", "operator": "Exists"}],
                                              "volumes": None},
                                     "metadata": {"finalizers": ["y"]}}, "strategic", core_pb2.Pod)
    assert [c["name"] for c in out["spec"]["containers"]] == ["a"]
    assert out["spec"]["tolerations"] == [{"key": "z", "operator": "Exists"}]  # no merge key in Kubernetes
    assert "volumes" not in out["spec"]
    assert out["metadata"]["finalizers"] == ["x", "y"]


def test_merge_and_json_patch_types():
    assert apply_patch(POD, {"spec": {"containers": [{"name": "c"}]}}, "merge")["spec"]["containers"] == [
        {"name": "c"}]
    out = apply_patch(POD, [{"op": "replace", "path": "/spec/containers/1/image", "value": "x"}], "json")
    assert out["spec"]["containers"][1]["image"] == "x"
    with pytest.raises(CliError, match="non-existent"):
        apply_patch(POD, [{"op": "remove", "path": "/spec/nope"}], "json")


def test_custom_columns_spec():
    assert columns.parse_custom_columns("NAME:.metadata.name,IP:{.status.podIP},N:metadata.x") == [
        ("NAME", ".metadata.name"), ("IP", ".status.podIP"), ("N", ".metadata.x")]
    for bad in ("NAME", "NAME:", ":.a", ""):
        with pytest.raises(CliError):
            columns.parse_custom_columns(bad)


def _pod(name: str, restarts: int) -> core_pb2.Pod:
    pod = core_pb2.Pod()
    pod.metadata.name = name
    pod.status.container_statuses.add(name="c", restart_count=restarts)
    return pod


def test_sort_by_numbers_as_numbers():
    pods = [_pod("a", 10), _pod("b", 9), _pod("c", 100)]
    out = columns.sort_objects(pods, ".status.containerStatuses[0].restartCount")
    assert [p.metadata.name for p in out] == ["b", "a", "c"]
    with pytest.raises(CliError, match="couldn't find any field"):
        columns.sort_objects(pods, ".spec.nope")


def test_label_specs_and_overwrite():
    add, remove = label_cmds.parse_pairs(["a=1", "b-"], label_cmds.LABELS)
    assert add == {"a": "1"} and remove == ["b"]
    with pytest.raises(CliError, match="can not both modify and remove a label"):
        label_cmds.parse_pairs(["a=1", "a-"], label_cmds.LABELS)
    with pytest.raises(CliError, match="invalid label value"):
        label_cmds.parse_pairs(["a=not valid"], label_cmds.LABELS)
    with pytest.raises(CliError, match=r"'a' already has a value \(0\), and --overwrite is false"):
        label_cmds.apply_pairs({"a": "0"}, add, remove, overwrite=False)
    assert label_cmds.apply_pairs({"a": "0", "b": "x"}, add, remove, overwrite=True) == {"a": "1"}


def test_taint_specs():
    add, remove = label_cmds.parse_taints(["k=v:NoSchedule", "g:NoExecute", "old-", "x:PreferNoSchedule-"])
    assert [(t.key, t.value, t.effect) for t in add] == [("k", "v", "NoSchedule"), ("g", "", "NoExecute")]
    assert [(t.key, t.effect) for t in remove] == [("old", ""), ("x", "PreferNoSchedule")]
    with pytest.raises(CliError, match="invalid taint effect: Bad"):
        label_cmds.parse_taints(["k=v:Bad"])
    node = core_pb2.Node()
    node.metadata.name = "n"
    node.spec.taints.add(key="k", value="v", effect="NoSchedule")
    with pytest.raises(CliError, match='taint "nope" not found'):
        label_cmds.apply_taints(node, [], remove[:0] + [core_pb2.Taint(key="nope")], overwrite=False)
    op, taints = label_cmds.apply_taints(node, [], [core_pb2.Taint(key="k")], overwrite=False)
    assert op == "untainted" and taints == []


def test_taint_operations_as_reorganize_taints_names_them():
    node = core_pb2.Node()
    node.metadata.name = "n"
    node.spec.taints.add(key="k", value="v", effect="NoSchedule")
    new = core_pb2.Taint(key="g", effect="NoExecute")
    assert label_cmds.apply_taints(node, [new], [], overwrite=False)[0] == "tainted"
    op, taints = label_cmds.apply_taints(node, [core_pb2.Taint(key="k", value="w", effect="NoSchedule")], [],
                                         overwrite=True)
    assert op == "modified" and [(t.key, t.value) for t in taints] == [("k", "w")]
    assert label_cmds.apply_taints(node, [new], [core_pb2.Taint(key="k")], overwrite=False)[0] == "modified"
