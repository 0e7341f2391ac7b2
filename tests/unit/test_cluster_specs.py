"""How each process of a local cluster is run, derived from cluster.json."""

import sys

import pytest

from kubelab.cluster import proxyctl
from kubelab.cluster.specs import proc_spec, redis_addr, route_target, via_proxy, planned_instances
from kubelab.cluster.state import ClusterState, ProcessRecord, StateDir

OVERRIDES = {"scheduler": "json", "kubelet": "json"}  # make them count as available


def test_redis_urls_through_the_proxy():
    assert redis_addr("redis://10.0.0.1:7000/3") == "10.0.0.1:7000"
    assert redis_addr("redis://h/0") == "h:6379"
    assert via_proxy("redis://10.0.0.1:7000/3", "127.0.0.1:9") == "redis://127.0.0.1:9/3"
    assert via_proxy("redis://:pw@h:1", "127.0.0.1:9") == "redis://:pw@127.0.0.1:9/0"


def _state() -> ClusterState:
    state = ClusterState(nodes=2, redis_url="redis://127.0.0.1:100/0")
    for i, name in enumerate(["redis", "proxy", "apiserver", "scheduler", "node-1", "node-2"]):
        state.processes[name] = ProcessRecord(listen=f"127.0.0.1:{200 + i}", route_listen=f"127.0.0.1:{300 + i}")
    return state


def test_planned_instances_are_those_that_exist():
    names = [i.name for i in planned_instances(ClusterState(nodes=2), OVERRIDES)]
    assert names[0] == "apiserver"
    assert {"scheduler", "node-1", "node-2"} <= set(names)
    assert "node-3" not in names


def test_components_reach_their_upstream_through_the_proxy(tmp_path):
    sd, state = StateDir(tmp_path), _state()
    api = proc_spec("apiserver", state, sd, OVERRIDES)
    assert api.argv[:3] == [sys.executable, "-m", "services.apiserver"]
    assert api.argv[api.argv.index("--redis") + 1] == "redis://127.0.0.1:302/0"
    assert api.env["KUBELAB_REDIS_URL"] == "redis://127.0.0.1:302/0"
    node = proc_spec("node-2", state, sd, OVERRIDES)
    assert node.argv[2] == "json"
    assert node.argv[node.argv.index("--apiserver") + 1] == "127.0.0.1:305"
    assert node.argv[node.argv.index("--root-dir") + 1] == str(tmp_path / "nodes" / "node-2")
    assert node.env["KUBELAB_STATE_DIR"] == str(tmp_path)
    sched = [i for i in planned_instances(state, OVERRIDES) if i.name == "scheduler"][0]
    assert route_target(sched, state) == "127.0.0.1:202"


def test_a_started_component_keeps_the_module_up_chose(tmp_path):
    state = _state()
    state.processes["scheduler"].module = "fake_client"
    assert proc_spec("scheduler", state, StateDir(tmp_path), overrides={}).argv[2] == "fake_client"


def test_components_get_their_clusters_address_ranges(tmp_path):
    state = _state()
    node = proc_spec("node-2", state, StateDir(tmp_path), OVERRIDES)
    assert node.argv[node.argv.index("--cluster-dns") + 1] == "198.19.0.10"  # the defaults
    assert "--pod-cidr" not in node.argv and "--host-gw" not in node.argv  # lifecycle allocates it
    state.pod_cidr, state.service_cidr = "100.64.32.0/20", "100.64.48.0/20"
    node = proc_spec("node-2", state, StateDir(tmp_path), OVERRIDES)
    assert node.argv[node.argv.index("--cluster-dns") + 1] == "100.64.48.10"
    api = proc_spec("apiserver", state, StateDir(tmp_path), OVERRIDES)
    assert api.argv[api.argv.index("--service-cluster-ip-range") + 1] == "100.64.48.0/20"
    assert node.argv[node.argv.index("--cluster-domain") + 1] == "cluster.local"
    state.processes["lifecycle"] = ProcessRecord(listen="127.0.0.1:400", route_listen="127.0.0.1:401")
    lifecycle = proc_spec("lifecycle", state, StateDir(tmp_path), {**OVERRIDES, "lifecycle": "json"})
    assert lifecycle.argv[lifecycle.argv.index("--cluster-cidr") + 1] == "100.64.32.0/20"
    assert "--allocate-node-cidrs" in lifecycle.argv


def test_redis_and_proxy(tmp_path):
    sd, state = StateDir(tmp_path), _state()
    redis = proc_spec("redis", state, sd, OVERRIDES)
    assert redis.argv[redis.argv.index("--port") + 1] == "200"
    assert redis.argv[redis.argv.index("--appendonly") + 1] == "yes"
    assert redis.argv[redis.argv.index("--bind") + 1] == "127.0.0.1"
    proxy = proc_spec("proxy", state, sd, OVERRIDES)
    assert proxy.argv[1:4] == ["-m", "kubelab.cluster.proxy", "--config"]
    with pytest.raises(KeyError):
        proc_spec("node-9", state, sd, OVERRIDES)


def test_set_partitioned_copies():
    config = {"control": "c", "routes": {"a": {"upstream": "redis"}, "b": {"upstream": "apiserver"}}}
    out = proxyctl.set_partitioned(config, ["a"], True, "reject")
    assert out["routes"]["a"] == {"upstream": "redis", "partitioned": True, "mode": "reject"}
    assert "partitioned" not in config["routes"]["a"] and "partitioned" not in out["routes"]["b"]
    with pytest.raises(ValueError, match="expected one of drop, reject"):
        proxyctl.set_partitioned(config, ["a"], True, "explode")


def test_components_may_cache_their_bytecode(monkeypatch, tmp_path):
    """A launcher run with PYTHONDONTWRITEBYTECODE does not pass it on: each start would compile again."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("KUBELAB_TEST_MARK", "kept")
    spec = proc_spec("scheduler", _state(), StateDir(tmp_path), OVERRIDES)
    assert "PYTHONDONTWRITEBYTECODE" not in spec.env
    assert spec.env["KUBELAB_TEST_MARK"] == "kept"
