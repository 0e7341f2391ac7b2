"""ConfigMaps and Secrets against the real API server: CRUD, stringData merged and never returned, immutability,
validation errors in Kubernetes' words; and the CLI: `create configmap|secret generic`, `get`, `describe`, -o yaml."""
from __future__ import annotations

import base64

import pytest
import yaml

from kubelab.errors import ApiError
from tests.integration.kubelet.kubelet_support import run_cli

IMMUTABLE = "field is immutable when `immutable` is set"


async def test_config_map_crud(client):
    created = await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: game-config}
        data: {player_initial_lives: "3"}
        binaryData: {icon: iVBORw==}
        """, "default")
    assert created.metadata.uid and dict(created.binary_data) == {"icon": base64.b64decode("iVBORw==")}
    created.data["ui_properties_file_name"] = "user-interface.properties"
    updated = await client.update(created)
    assert dict(updated.data) == {"player_initial_lives": "3", "ui_properties_file_name": "user-interface.properties"}
    await client.delete("ConfigMap", "game-config", "default")
    with pytest.raises(ApiError) as e:
        await client.get("ConfigMap", "game-config", "default")
    assert e.value.message == 'configmaps "game-config" not found'


async def test_string_data_is_merged_into_data_and_never_stored(client):
    created = await client.create_manifest("""
        apiVersion: v1
        kind: Secret
        metadata: {name: db-creds}
        data: {username: b2xk, keep: eA==}
        stringData: {username: admin}
        """, "default")
    assert created.type == "Opaque" and not created.string_data
    assert dict(created.data) == {"username": b"admin", "keep": b"x"}
    fetched = await client.get("Secret", "db-creds", "default")
    assert dict(fetched.data) == {"username": b"admin", "keep": b"x"} and not fetched.string_data
    fetched.string_data["password"] = "s3cr3t"
    updated = await client.update(fetched)
    assert updated.data["password"] == b"s3cr3t" and not updated.string_data


async def test_immutable_objects_keep_their_data(client):
    cm = await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: frozen}
        data: {k: v}
        immutable: true
        """, "default")
    cm.data["k"] = "w"
    with pytest.raises(ApiError) as e:
        await client.update(cm)
    assert e.value.message == f'ConfigMap "frozen" is invalid: data: Forbidden: {IMMUTABLE}'
    secret = await client.create_manifest("""
        apiVersion: v1
        kind: Secret
        metadata: {name: frozen}
        stringData: {k: v}
        immutable: true
        """, "default")
    secret.immutable = False
    secret.type = "kubernetes.io/tls"
    with pytest.raises(ApiError) as e:
        await client.update(secret)
    assert e.value.message == (f'Secret "frozen" is invalid: [type: Invalid value: "kubernetes.io/tls": field is '
                               f"immutable, immutable: Forbidden: {IMMUTABLE}, data[tls.crt]: Required value, "
                               "data[tls.key]: Required value]")


async def test_validation_errors(client):
    with pytest.raises(ApiError) as e:
        await client.create_manifest("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: dup}
            data: {a: x}
            binaryData: {a: eA==}
            """, "default")
    assert e.value.message == 'ConfigMap "dup" is invalid: data[a]: Invalid value: "a": duplicate of key present ' \
                              "in binaryData"
    with pytest.raises(ApiError) as e:
        await client.create_manifest("""
            apiVersion: v1
            kind: Secret
            metadata: {name: web-tls}
            type: kubernetes.io/tls
            stringData: {tls.crt: cert}
            """, "default")
    assert e.value.message == 'Secret "web-tls" is invalid: data[tls.key]: Required value'


async def cli(apiserver, *args):
    return await run_cli(apiserver.address, *args)


async def test_create_get_and_describe_a_config_map(apiserver, client, tmp_path):
    (tmp_path / "game.properties").write_text("enemies=aliens\nlives=3\n")
    (tmp_path / "ui.env").write_text("# the UI\ncolor=purple\n  how=fairlyNice\n")
    code, out, err = await cli(apiserver, "create", "configmap", "game", "--from-file",
                               str(tmp_path / "game.properties"), "--from-literal", "special.how=very",
                               "--from-literal=quoted='yes'")
    assert (code, out, err) == (0, "configmap/game created\n", "")
    code, out, _ = await cli(apiserver, "get", "cm")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"] and any(ln.split()[:2] == ["game", "3"] for ln in lines)
    code, out, _ = await cli(apiserver, "describe", "configmap", "game")
    assert out.startswith("Name:         game\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
                          "Data\n====\ngame.properties:\n----\nenemies=aliens\nlives=3\n\nquoted:\n----\nyes\n"
                          "special.how:\n----\nvery\n\nBinaryData\n====\n\nEvents:  <none>\n")
    code, out, _ = await cli(apiserver, "create", "cm", "ui", "--from-env-file", str(tmp_path / "ui.env"))
    assert code == 0 and dict((await client.get("ConfigMap", "ui", "default")).data) == {"color": "purple",
                                                                                        "how": "fairlyNice"}


@pytest.mark.parametrize("args, message", [
    (["configmap", "bad", "--from-literal", "=v"], "error: invalid literal source =v, expected key=value\n"),
    (["configmap", "bad", "--from-literal", "a b=v"],
     "error: \"a b\" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric "
     "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
     "'[-._a-zA-Z0-9]+')\n"),
    (["configmap", "bad", "--from-literal", "a=1", "--from-literal", "a=2"],
     'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "bad"\n'),
    (["configmap", "bad", "--from-file", "/nonexistent/file"],
     "error: error reading /nonexistent/file: no such file or directory\n"),
    (["configmap", "bad", "--from-file", "k=/tmp/a=b"], "error: key names or file paths cannot contain '='\n"),
    (["configmap", "bad", "--from-env-file", "/etc/hostname", "--from-literal", "a=b"],
     "error: from-env-file cannot be combined with from-file or from-literal\n"),
    (["configmap"], "error: exactly one NAME is required, got 0\n"),
    (["secret", "generic", "bad", "--from-literal", "k#1=v"],
     "error: \"k#1\" is not valid key name for a Secret a valid config key must consist of alphanumeric characters, "
     "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
     "'[-._a-zA-Z0-9]+')\n"),
])
async def test_create_refuses_bad_input_as_kubectl(apiserver, args, message):
    code, out, err = await cli(apiserver, "create", *args)
    assert (code, out, err) == (1, "", message)


async def test_create_get_describe_a_secret_and_its_yaml(apiserver, client):
    code, out, err = await cli(apiserver, "create", "secret", "generic", "db-user-pass", "--from-literal",
                               "username=admin", "--from-literal", "password=S!B\\*d$zDsb=")
    assert (code, out, err) == (0, "secret/db-user-pass created\n", "")
    code, out, _ = await cli(apiserver, "get", "secret", "db-user-pass")
    assert [ln.split() for ln in out.splitlines()][0] == ["NAME", "TYPE", "DATA", "AGE"]
    assert out.splitlines()[1].split()[:3] == ["db-user-pass", "Opaque", "2"]
    code, out, _ = await cli(apiserver, "describe", "secret", "db-user-pass")
    assert out == ("Name:         db-user-pass\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
                   "Type:  Opaque\n\nData\n====\npassword:  12 bytes\nusername:  5 bytes\n")
    code, out, _ = await cli(apiserver, "get", "secret", "db-user-pass", "-o", "yaml")
    doc = yaml.safe_load(out)
    assert doc["data"] == {"password": base64.b64encode(b"S!B\\*d$zDsb=").decode(), "username": "YWRtaW4="}
    assert doc["type"] == "Opaque" and "stringData" not in doc
    code, out, _ = await cli(apiserver, "create", "secret", "generic", "typed", "--type", "example.com/token",
                             "--from-literal", "t=1", "--dry-run=client", "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)["type"] == "example.com/token"
    with pytest.raises(ApiError):
        await client.get("Secret", "typed", "default")  # a client dry run sends nothing
    code, _, err = await cli(apiserver, "create", "secret", "generic", "db-user-pass", "--from-literal", "a=b")
    assert (code, err) == (1, 'error: failed to create secret: secrets "db-user-pass" already exists\n')
