"""Payloads of configMap, secret, downwardAPI and projected volumes (MakePayload, CollectData) and the
FailedMount messages of missing objects and keys."""
import pytest

from kubelab.api.v1 import core_pb2
from services.kubelet.atomicwriter import FileProjection
from services.kubelet.projection import ProjectionError, volume_payload


class Objects:
    def __init__(self, *objs):
        self.objs = {(type(o).__name__, o.metadata.name): o for o in objs}

    def config_map(self, ns, name):
        return self.objs.get(("ConfigMap", name))

    def secret(self, ns, name):
        return self.objs.get(("Secret", name))


POD = core_pb2.Pod(metadata={"name": "web-0", "namespace": "prod", "labels": {"app": "web", "tier": "front"}})
CM = core_pb2.ConfigMap(metadata={"name": "cfg", "namespace": "prod"}, data={"a": "1", "b": "2"},
                        binary_data={"bin": b"\x00\x01"})
SECRET = core_pb2.Secret(metadata={"name": "s", "namespace": "prod"}, data={"password": b"pw"})


def volume(**source):
    return core_pb2.Volume(name="v", **source)


def test_every_key_with_the_default_mode():
    vol = volume(config_map={"name": "cfg"})
    assert volume_payload(POD, vol, Objects(CM)) == {
        "a": FileProjection(b"1", 0o644), "b": FileProjection(b"2", 0o644), "bin": FileProjection(b"\x00\x01", 0o644)}


def test_items_choose_keys_paths_and_modes():
    vol = volume(secret={"secret_name": "s", "default_mode": 0o400,
                         "items": [{"key": "password", "path": "db/pass", "mode": 0o600}]})
    assert volume_payload(POD, vol, Objects(SECRET)) == {"db/pass": FileProjection(b"pw", 0o600)}


def test_missing_objects_and_keys_say_what_the_kubelet_says():
    with pytest.raises(ProjectionError, match='^configmap "cfg" not found$'):
        volume_payload(POD, volume(config_map={"name": "cfg"}), Objects())
    with pytest.raises(ProjectionError, match="^configmap references non-existent config key: zz$"):
        volume_payload(POD, volume(config_map={"name": "cfg", "items": [{"key": "zz", "path": "z"}]}), Objects(CM))
    with pytest.raises(ProjectionError, match="^secret references non-existent secret key: zz$"):
        volume_payload(POD, volume(secret={"secret_name": "s", "items": [{"key": "zz", "path": "z"}]}),
                       Objects(SECRET))
    assert volume_payload(POD, volume(secret={"secret_name": "gone", "optional": True}), Objects()) == {}


def test_projected_sources_and_downward_api():
    vol = volume(projected={"default_mode": 0o440, "sources": [
        {"config_map": {"name": "cfg", "items": [{"key": "a", "path": "a.txt"}]}},
        {"secret": {"name": "s"}},
        {"downward_api": {"items": [{"path": "labels", "field_ref": {"field_path": "metadata.labels"}}]}}]})
    assert volume_payload(POD, vol, Objects(CM, SECRET)) == {
        "a.txt": FileProjection(b"1", 0o440), "password": FileProjection(b"pw", 0o440),
        "labels": FileProjection(b'app="web"\ntier="front"', 0o440)}
    with pytest.raises(ProjectionError, match=r'^\[configmap "cfg" not found, secret "s" not found\]$'):
        volume_payload(POD, vol, Objects())
