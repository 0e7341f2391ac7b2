"""ConfigMap and Secret validation (ValidateConfigMap, ValidateSecret and their updates), and projected
pod volumes: every message exactly as Kubernetes words it."""
import base64

import pytest

from kubelab.meta import copy_of
from services.apiserver.strategy import merge_string_data
from services.apiserver.validation import validate, validate_update

from .manifests import load, messages, stored

KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
           "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
IMMUTABLE = "field is immutable when `immutable` is set"


def config_map(data=None, binary=None, **extra) -> dict:
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "game-config"}, **extra}
    if data is not None:
        doc["data"] = data
    if binary is not None:
        doc["binaryData"] = {k: base64.b64encode(v).decode() for k, v in binary.items()}
    return doc


def secret(data=None, type_=None, **extra) -> dict:
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, **extra}
    if data is not None:
        doc["data"] = {k: base64.b64encode(v).decode() for k, v in data.items()}
    if type_ is not None:
        doc["type"] = type_
    return doc


def test_a_config_map_from_the_docs_is_valid():
    cm = load(config_map({"player_initial_lives": "3", "game.properties": "enemy.types=aliens\n"},
                         {"icon.png": b"\x89PNG"}))
    assert validate(cm) == []


@pytest.mark.parametrize("doc, want", [
    (config_map({"bad key": "x"}), [f'data[bad key]: Invalid value: "bad key": {KEY_MSG}']),
    (config_map({"..": "x"}), ["data[..]: Invalid value: \"..\": must not be '..'"]),
    (config_map(binary={"a/b": b"x"}), [f'binaryData[a/b]: Invalid value: "a/b": {KEY_MSG}']),
    (config_map({"k": "x"}, {"k": b"y"}), ['data[k]: Invalid value: "k": duplicate of key present in binaryData']),
    (config_map({"big": "x" * (1 << 20), "more": "y"}), [": Too long: may not be more than 1048576 bytes"]),
])
def test_config_map_errors(doc, want):
    assert messages(validate(load(doc))) == want


def test_an_immutable_config_map_keeps_its_data_and_stays_immutable():
    old = stored(load(config_map({"k": "v"}, immutable=True)))
    changed = copy_of(old)
    changed.data["k"] = "w"
    assert messages(validate_update(changed, old)) == [f"data: Forbidden: {IMMUTABLE}"]
    unset = copy_of(old)
    unset.immutable = False
    assert messages(validate_update(unset, old)) == [f"immutable: Forbidden: {IMMUTABLE}"]
    relabelled = copy_of(old)
    relabelled.metadata.labels["tier"] = "web"
    assert validate_update(relabelled, old) == []


def test_a_mutable_config_map_may_change_and_become_immutable():
    old = stored(load(config_map({"k": "v"})))
    new = copy_of(old)
    new.data["k"] = "w"
    new.immutable = True
    assert validate_update(new, old) == []


def test_secret_defaults_to_opaque():
    assert load(secret({"password": b"s3cr3t"})).type == "Opaque"


@pytest.mark.parametrize("doc, want", [
    (secret({"bad key": b"x"}), [f'data[bad key]: Invalid value: "bad key": {KEY_MSG}']),
    (secret({"k": b"x" * ((1 << 20) + 1)}), ["data: Too long: may not be more than 1048576 bytes"]),
    (secret(type_="kubernetes.io/service-account-token"),
     ["metadata.annotations[kubernetes.io/service-account.name]: Required value"]),
    (secret(type_="kubernetes.io/dockercfg"), ["data[.dockercfg]: Required value"]),
    (secret({".dockerconfigjson": b"{not json"}, "kubernetes.io/dockerconfigjson"),
     ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character \'n\' looking '
      "for beginning of value"]),
    (secret({".dockerconfigjson": b"[1]"}, "kubernetes.io/dockerconfigjson"),
     ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into '
      "Go value of type map[string]interface {}"]),
    (secret({"other": b"x"}, "kubernetes.io/basic-auth"),
     ["data[%s][username]: Required value", "data[%s][password]: Required value"]),
    (secret({"ssh-privatekey": b""}, "kubernetes.io/ssh-auth"), ["data[%s][ssh-privatekey]: Required value"]),
    (secret({"tls.crt": b"cert"}, "kubernetes.io/tls"), ["data[tls.key]: Required value"]),
])
def test_secret_errors(doc, want):
    assert messages(validate(load(doc))) == want


def test_secret_types_with_their_keys_are_valid():
    assert validate(load(secret({"username": b"admin"}, "kubernetes.io/basic-auth"))) == []
    assert validate(load(secret({"tls.crt": b"c", "tls.key": b"k"}, "kubernetes.io/tls"))) == []
    assert validate(load(secret({".dockerconfigjson": b'{"auths": {}}'}, "kubernetes.io/dockerconfigjson"))) == []
    assert validate(load(secret(type_="example.com/custom"))) == []


def test_secret_type_and_immutable_data_cannot_change():
    old = stored(load(secret({"k": b"v"}, immutable=True)))
    new = copy_of(old)
    new.type = "kubernetes.io/tls"
    new.data["tls.crt"], new.data["tls.key"] = b"c", b"k"
    assert messages(validate_update(new, old)) == ['type: Invalid value: "kubernetes.io/tls": field is immutable',
                                                   f"data: Forbidden: {IMMUTABLE}"]


def test_string_data_is_merged_into_data_and_wins():
    s = load(secret({"user": b"old", "keep": b"1"}, stringData={"user": "admin", "new": "x"}))
    merge_string_data(s)
    assert dict(s.data) == {"user": b"admin", "keep": b"1", "new": b"x"}
    assert not s.string_data


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
       "spec": {"containers": [{"name": "c", "image": "busybox"}], "volumes": []}}


def pod_with_volume(volume: dict):
    doc = {**POD, "spec": {**POD["spec"], "volumes": [{"name": "v", **volume}]}}
    return load(doc)


def test_projected_volumes_are_kept_and_defaulted():
    pod = pod_with_volume({"projected": {"sources": [{"configMap": {"name": "a"}}, {"secret": {"name": "b"}}]}})
    vol = pod.spec.volumes[0]
    assert vol.projected.default_mode == 0o644 and not vol.HasField("empty_dir")
    assert validate(pod) == []


@pytest.mark.parametrize("volume, want", [
    ({"projected": {"sources": [{"configMap": {"name": "a", "items": [{"key": "k", "path": "x"}]},
                                 "secret": {"name": "b"}}]}},
     ["spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source"]),
    ({"projected": {"sources": [{"configMap": {"name": "a", "items": [{"key": "k", "path": "x"}]}},
                                {"secret": {"name": "b", "items": [{"key": "k", "path": "x"}]}}]}},
     ['spec.volumes[0].projected: Invalid value: "b": conflicting duplicate paths']),
    ({"configMap": {"name": "a", "items": [{"key": "k", "path": "..data/x"}]}},
     ["spec.volumes[0].configMap.items[0].path: Invalid value: \"..data/x\": must not start with '..'"]),
    ({"secret": {"secretName": "s", "defaultMode": 1000}},
     ["spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), "
      "both inclusive"]),
    ({"downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "spec.nodeName"}}]}},
     ['spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: '
      '"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"']),
])
def test_projected_volume_errors(volume, want):
    assert messages(validate(pod_with_volume(volume))) == want
