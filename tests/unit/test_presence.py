"""Field presence in Kubernetes JSON: what kubelab writes is what Kubernetes writes.

presence_fixtures/<Kind>.json holds, for each kind, objects as a Kubernetes API server returns them
(`kubectl get -o json`), with false, zero, empty and null fields where Kubernetes writes them. Each
is decoded into kubelab's message and encoded again: the same fields must be there, and every zero
value (false, 0, "", null, {}) must be the same zero.
"""
import json
from pathlib import Path

import pytest

from kubelab import manifest
from kubelab.api import KINDS, presence, presencegen

FIXTURES = Path(__file__).parent / "presence_fixtures"


def _shape(value):
    """The value with every non-zero scalar replaced by a marker: presence and zeros, not contents."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if value is None or value is False or value == "" or (type(value) is int and value == 0):
        return value
    return "<set>"


def _fixtures():
    for kind in KINDS:
        for i, doc in enumerate(json.loads((FIXTURES / f"{kind.kind}.json").read_text())):
            yield pytest.param(doc, id=f"{kind.kind}-{i}")


def test_every_kind_has_a_fixture():
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(k.kind for k in KINDS)


@pytest.mark.parametrize("doc", _fixtures())
def test_fields_present_as_kubernetes_writes_them(doc):
    out = manifest.to_dict(manifest.from_dict(doc))
    assert _shape(out) == _shape(doc)


@pytest.mark.parametrize("doc", _fixtures())
def test_decoding_what_was_written_gives_the_same_message(doc):
    """`resources: {}`, `targetPort: 0`, `divisor: "0"` mean what an absent field means (Go cannot tell
    them apart), so an object read, edited and written back is unchanged (a pod update must not
    "change" its containers' resources)."""
    msg = manifest.from_dict(doc)
    assert manifest.from_dict(manifest.to_dict(msg)) == msg


def test_a_pod_written_and_read_back_is_the_pod_that_was_stored():
    pod = manifest.from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    written = manifest.to_dict(pod)
    assert written["spec"]["containers"][0]["resources"] == {} and written["status"] == {}
    back = manifest.from_dict(written)
    assert back == pod and not back.spec.containers[0].HasField("resources")
    svc = manifest.from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                              "spec": {"ports": [{"port": 80}]}})
    assert manifest.to_dict(svc)["spec"]["ports"][0]["targetPort"] == 0
    assert not manifest.from_dict(manifest.to_dict(svc)).spec.ports[0].HasField("target_port")


def test_a_not_ready_container_shows_ready_false_and_restart_count_zero():
    pod = manifest.from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                              "status": {"containerStatuses": [{"name": "c", "state": {"waiting": {}}}]}})
    status = manifest.to_dict(pod)["status"]["containerStatuses"][0]
    assert status["ready"] is False and status["restartCount"] == 0
    assert status["state"] == {"waiting": {}} and status["lastState"] == {}
    assert "started" not in status  # *bool,omitempty: only when the kubelet set it
    pod.status.container_statuses[0].started = False
    assert manifest.to_dict(pod)["status"]["containerStatuses"][0]["started"] is False


def test_compact_leaves_zero_values_out():
    pod = manifest.from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    assert manifest.to_dict(pod, compact=True) == {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}


def test_presence_table_is_current():
    assert presence.__file__ and presencegen.OUT.read_text() == presencegen.render(presencegen.TAGS.read_text()), \
        "regenerate with `python -m kubelab.api.presencegen`"


def test_every_field_in_the_table_is_in_the_protos():
    """Walk the table from each kind's root struct beside its message: each field names a proto field."""
    seen = set()
    todo = [(presence.ROOTS[k.kind], k.message.DESCRIPTOR) for k in KINDS]
    while todo:
        struct, desc = todo.pop()
        if (struct, desc.full_name) in seen:
            continue
        seen.add((struct, desc.full_name))
        fields = {f.json_name: f for f in desc.fields}
        for name, (rule, zero, child, shape) in presence.FIELDS.get(struct, {}).items():
            assert name in fields, f"{struct}.{name} is not a field of {desc.full_name}"
            field = fields[name]
            assert rule in ("value", "object", "nested")
            assert (shape == "list") == (field.is_repeated and not _is_map(field)), f"{struct}.{name}"
            if child is not None:
                mt = field.message_type
                if _is_map(field):
                    mt = mt.fields_by_name["value"].message_type
                assert mt is not None, f"{struct}.{name}: {child} is a struct, the proto field is not a message"
                todo.append((child, mt))
    assert {s for s, _ in seen} >= set(presence.FIELDS), "structs in the table no kind reaches"


def test_no_pointer_scalar_lacks_presence():
    """A ``*bool,omitempty`` upstream (``started``) needs an ``optional`` proto field to tell unset from zero."""
    assert presencegen.build(presencegen.TAGS.read_text())[3] == []


def _is_map(field) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry
