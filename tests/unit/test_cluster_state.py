"""The state dir: where it is, and cluster.json."""

import json

import pytest

from kubelab.cluster.state import ClusterState, ProcessRecord, StateDir, find_apiserver, resolve_state_dir, write_atomic


def test_state_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_state_dir(None, {}) == tmp_path / ".kubelab"
    assert resolve_state_dir(None, {"KUBELAB_STATE_DIR": "/x/y"}).as_posix() == "/x/y"
    assert resolve_state_dir("/a", {"KUBELAB_STATE_DIR": "/x/y"}).as_posix() == "/a"
    assert resolve_state_dir("rel", {}).is_absolute()


def test_round_trip(tmp_path):
    sd = StateDir(tmp_path)
    state = ClusterState(nodes=2, redis_url="redis://127.0.0.1:1/0", bootstrapped=True, apiserver_workers=3)
    state.processes["apiserver"] = ProcessRecord(module="services.apiserver", listen="127.0.0.1:5", pid=7, start_time=9)
    sd.save(state)
    assert sd.load() == state
    assert json.loads(sd.state_file.read_text())["version"] == 1
    assert find_apiserver(tmp_path) == "127.0.0.1:5"


def test_missing_state_is_empty(tmp_path):
    sd = StateDir(tmp_path / "none")
    assert not sd.exists()
    assert sd.load() == ClusterState()
    assert find_apiserver(tmp_path / "none") is None


def test_unknown_version_is_refused(tmp_path):
    (tmp_path / "cluster.json").write_text('{"version": 99}')
    with pytest.raises(ValueError, match="unsupported version 99"):
        StateDir(tmp_path).load()


def test_unknown_record_fields_are_ignored():
    text = json.dumps({"version": 1, "processes": {"x": {"pid": 3, "future": True}}})
    assert ClusterState.from_json(text).processes["x"].pid == 3


def test_write_atomic_leaves_no_temp_files(tmp_path):
    write_atomic(tmp_path / "f.json", "one")
    write_atomic(tmp_path / "f.json", "two")
    assert (tmp_path / "f.json").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_layout(tmp_path):
    sd = StateDir(tmp_path)
    sd.create()
    assert sd.log_file("node-1") == tmp_path / "logs" / "node-1.log"
    assert sd.node_root("node-2") == tmp_path / "nodes" / "node-2"
    assert sd.redis_dir.is_dir() and sd.logs.is_dir()
    with sd.locked():
        pass
