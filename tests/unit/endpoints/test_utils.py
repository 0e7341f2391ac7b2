"""The rules both controllers share: which pods, the hostname rule, FindPort, address families."""
from __future__ import annotations

import pytest

from services.endpoints import utils
from tests.unit.endpoints.objects import pod, service


@pytest.mark.parametrize("p, include_terminating, want", [
    (pod("a"), False, True),
    (pod("a", ready=False), False, True),  # readiness decides ready vs not ready, not membership
    (pod("a", ip=None), True, False),
    (pod("a", phase="Failed"), True, False),
    (pod("a", phase="Succeeded"), True, False),
    (pod("a", terminating=True), True, True),
    (pod("a", terminating=True), False, False),
])
def test_should_pod_be_in_endpoints(p, include_terminating, want):
    assert utils.should_pod_be_in_endpoints(p, include_terminating) is want


@pytest.mark.parametrize("hostname, subdomain, want", [
    ("web-0", "web", True), ("", "web", False), ("web-0", "other", False), ("web-0", "", False)])
def test_hostname_only_with_a_subdomain_naming_the_service(hostname, subdomain, want):
    assert utils.should_set_hostname(pod("a", hostname=hostname, subdomain=subdomain), service("web")) is want


def test_hostname_needs_the_same_namespace():
    p = pod("a", hostname="web-0", subdomain="web")
    p.metadata.namespace = "other"
    assert not utils.should_set_hostname(p, service("web"))


def test_find_port_by_number_and_by_name():
    svc = service(ports=(("num", 80, 8080), ("named", 81, "http")))
    p = pod("a", container_ports=(("http", 3000),))
    assert [utils.find_port(p, sp) for sp in svc.spec.ports] == [8080, 3000]


def test_find_port_name_must_match_protocol_and_exist():
    svc = service(ports=(("dns", 53, "dns"),), protocol="UDP")
    with pytest.raises(utils.PortNotFound, match="no suitable port for manifest: a-uid"):
        utils.find_port(pod("a", container_ports=(("dns", 5353),)), svc.spec.ports[0])  # the pod's is TCP


def test_find_port_in_a_sidecar():
    p = pod("a")
    side = p.spec.init_containers.add(name="side", image="x", restart_policy="Always")
    side.ports.add(name="metrics", container_port=9100, protocol="TCP")
    plain = p.spec.init_containers.add(name="init", image="x")
    plain.ports.add(name="other", container_port=9200, protocol="TCP")
    svc = service(ports=(("m", 9, "metrics"), ("o", 10, "other")))
    assert utils.find_port(p, svc.spec.ports[0]) == 9100
    with pytest.raises(utils.PortNotFound):
        utils.find_port(p, svc.spec.ports[1])


def test_address_types_and_selector():
    assert utils.address_types(service()) == ["IPv4"]
    assert utils.address_types(service(cluster_ip="None")) == ["IPv4"]
    assert utils.address_types(service(cluster_ip="fd00::10")) == ["IPv6"]
    assert utils.service_selector(service(selector={})) is None
    assert not utils.handles(service(selector={}))


def test_trigger_time_format_is_rfc3339nano():
    assert utils.format_trigger_time(0, 0) == "1970-01-01T00:00:00Z"
    assert utils.format_trigger_time(1, 500_000_000) == "1970-01-01T00:00:01.5Z"


def test_pod_updates_that_matter_to_endpoints():
    from services.endpoints.membership import pod_endpoints_changed
    base = pod("a")
    assert not pod_endpoints_changed(base, pod("a"))
    assert not pod_endpoints_changed(base, pod("a", phase="Pending"))
    assert pod_endpoints_changed(base, pod("a", phase="Failed"))
    assert pod_endpoints_changed(base, pod("a", ready=False))
    assert pod_endpoints_changed(base, pod("a", "198.18.9.9"))
    assert pod_endpoints_changed(base, pod("a", terminating=True))
    assert pod_endpoints_changed(base, pod("a", labels={"app": "x"}))
    assert pod_endpoints_changed(base, pod("a", hostname="h"))
    assert pod_endpoints_changed(base, pod("a", subdomain="s"))
