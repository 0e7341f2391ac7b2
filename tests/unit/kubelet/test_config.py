"""Flags and their derived defaults (docs/conventions.md)."""
import pytest

from kubelab.process import new_config
from services.kubelet.config import KubeletConfig, complete_config, default_pod_cidr, node_ip_of


def test_defaults_follow_the_conventions(tmp_path):
    root = tmp_path / "nodes" / "node-3"
    cfg = complete_config(new_config(KubeletConfig, ["--node-name", "node-3", "--root-dir", str(root)], environ={}))
    assert cfg.pod_cidr == "127.1.3.0/24" and cfg.node_ip == "127.1.3.1"
    assert cfg.cluster_dir == str(tmp_path) and cfg.root_dir == str(root)
    assert cfg.heartbeat_interval == 10 and cfg.backoff_scale == 1.0 and cfg.max_pods == 110


def test_flags_and_environment(tmp_path):
    argv = ["--node-name", "n", "--root-dir", str(tmp_path), "--pod-cidr", "127.9.9.0/24", "--hollow", "5",
            "--heartbeat-interval", "500ms"]
    cfg = complete_config(new_config(KubeletConfig, argv, environ={"KUBELAB_BACKOFF_SCALE": "0.1"}))
    assert cfg.hollow == 5 and cfg.heartbeat_interval == 0.5 and cfg.backoff_scale == 0.1
    assert cfg.node_ip == "127.9.9.1"


def test_bad_values_are_reported(tmp_path):
    with pytest.raises(SystemExit, match="--pod-cidr nope"):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), pod_cidr="nope"))
    with pytest.raises(SystemExit, match="--memory 8Gx"):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), memory="8Gx"))


def test_helpers():
    assert default_pod_cidr("node-12") == "127.1.12.0/24"
    assert default_pod_cidr("worker") == "127.1.1.0/24"
    assert node_ip_of("127.1.2.0/24") == "127.1.2.1"


def test_node_ip_may_be_a_host_name(tmp_path):
    cfg = complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), node_ip="localhost"))
    assert cfg.node_ip == "127.0.0.1"
    with pytest.raises(SystemExit, match="cannot resolve"):
        complete_config(KubeletConfig(node_name="n", root_dir=str(tmp_path), node_ip="no-such-host.invalid"))
