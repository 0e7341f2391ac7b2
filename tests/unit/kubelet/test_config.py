"""Flags and their derived defaults (docs/conventions.md)."""
import pytest

from kubelab.config import new_config
from kubelab.network import cluster_id
from services.kubelet.config import KubeletConfig, complete_config


def test_defaults_follow_the_conventions(tmp_path):
    root = tmp_path / "nodes" / "node-3"
    cfg = complete_config(new_config(KubeletConfig, ["--node-name", "node-3", "--root-dir", str(root)], environ={}))
    assert cfg.pod_cidr == "" and cfg.node_ip == ""  # both come with the Node's spec.podCIDR
    assert cfg.cluster_id == cluster_id(str(tmp_path))
    assert cfg.cluster_dir == str(tmp_path) and cfg.root_dir == str(root)
    assert cfg.heartbeat_interval == 10 and cfg.backoff_scale == 1.0 and cfg.max_pods == 110


def test_flags_and_environment(tmp_path):
    argv = ["--node-name", "n", "--root-dir", str(tmp_path), "--pod-cidr", "198.18.9.0/24",
            "--heartbeat-interval", "500ms", "--host-gw"]
    cfg = complete_config(new_config(KubeletConfig, argv, environ={"KUBELAB_BACKOFF_SCALE": "0.1"}))
    assert cfg.heartbeat_interval == 0.5 and cfg.backoff_scale == 0.1 and cfg.host_gw
    assert cfg.node_ip == ""  # the gateway of the Node's podCIDR, once known
    hollow = complete_config(new_config(KubeletConfig, argv + ["--hollow", "5"], environ={}))
    assert hollow.hollow == 5 and hollow.node_ip == "127.0.0.1"  # no bridge to serve on


def test_bad_values_are_reported(tmp_path):
    with pytest.raises(SystemExit, match='--pod-cidr: Invalid value: "nope"'):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), pod_cidr="nope"))
    with pytest.raises(SystemExit, match='--memory: Invalid value: "8Gx"'):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), memory="8Gx"))


def test_node_ip_may_be_a_host_name(tmp_path):
    cfg = complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), node_ip="localhost"))
    assert cfg.node_ip == "127.0.0.1"
    with pytest.raises(SystemExit, match="cannot resolve"):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), node_ip="no-such-host.invalid"))
