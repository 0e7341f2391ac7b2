"""Every process's `Config.validate()`: errors in Kubernetes' wording, each naming its flag, checked by the
skeleton before anything starts (`check_config`)."""
import pytest

from kubelab.config import BaseConfig, new_config
from kubelab.process import ProcessConfig
from kubelab.skeleton import check_config
from services.apiserver.config import Config as ApiServerConfig
from services.dns.__main__ import Config as DnsConfig
from services.endpoints.__main__ import Config as EndpointsConfig
from services.lifecycle.__main__ import Config as LifecycleConfig
from services.proxy.__main__ import Config as ProxyConfig
from services.ui.__main__ import Config as UiConfig


def messages(cfg) -> list[str]:
    return [str(e) for e in cfg.validate()]


def test_defaults_are_valid(monkeypatch):
    monkeypatch.setenv("KUBELAB_STATE_DIR", "/tmp/cluster")
    for cls in (BaseConfig, ProcessConfig, ApiServerConfig, DnsConfig, EndpointsConfig, LifecycleConfig,
                ProxyConfig, UiConfig):
        assert messages(new_config(cls, [], environ={})) == [], cls


def test_every_process_checks_the_common_flags():
    assert messages(BaseConfig(log_level="loud")) == [
        '--log-level: Unsupported value: "loud": supported values: "debug", "info", "warning", "error"']
    assert messages(ApiServerConfig(shutdown_grace=-1)) == ["--shutdown-grace: Invalid value: -1: must not be negative"]
    assert messages(ProcessConfig(leader_elect=True, leader_elect_lease_duration=5,
                                  leader_elect_renew_deadline=10)) == [
        "--leader-elect-lease-duration: Invalid value: 5: leaseDuration must be greater than renewDeadline"]
    assert messages(ProcessConfig(leader_elect_lease_duration=5, leader_elect_renew_deadline=10)) == []


def test_check_config_exits_with_every_error():
    with pytest.raises(SystemExit, match=r"^endpoints: \[--log-level: Unsupported value: \"x\".*, "
                                         r"--max-endpoints-per-slice: Invalid value: 0: must be between 1 and 1000\]$"):
        check_config("endpoints", EndpointsConfig(log_level="x", max_endpoints_per_slice=0))
    check_config("endpoints", EndpointsConfig(max_endpoints_per_slice=1000))


def test_component_flags(monkeypatch):
    monkeypatch.delenv("KUBELAB_STATE_DIR", raising=False)
    assert messages(ProxyConfig(proxy_mode="iptables")) == [
        "--cluster-id: Required value: give the cluster id or set KUBELAB_STATE_DIR",
        '--proxy-mode: Unsupported value: "iptables": supported values: "nftables", "userspace"']
    assert messages(DnsConfig(listen_dns="127.0.0.1:5353")) == []  # no address of its own to name
    assert messages(DnsConfig(cluster_id="much-too-long-id")) == [
        '--cluster-id: Invalid value: "much-too-long-id": cluster id \'much-too-long-id\' is too long for an '
        'address label (at most 10 characters)']
    assert messages(LifecycleConfig(allocate_node_cidrs=True, cluster_cidr="198.18.0.0/16",
                                    node_cidr_mask_size=8)) == [
        "--node-cidr-mask-size: Invalid value: 8: must be between the cluster CIDR's /16 and /30"]
    assert messages(UiConfig(http_listen="nowhere")) == ['--http-listen: Invalid value: "nowhere": expected HOST:PORT']
    assert messages(ApiServerConfig(service_node_port_range="9-1")) == [
        "--service-node-port-range: Invalid value: \"9-1\": invalid port range '9-1'"]
