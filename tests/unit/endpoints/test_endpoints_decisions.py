"""The legacy Endpoints controller's decision: ready vs not-ready addresses, terminating pods,
RepackSubsets, sorting, the 1000 cap, labels, and no write when nothing changed."""
from __future__ import annotations

from services.endpoints.endpoints_decisions import MAX_CAPACITY, desired_endpoints, desired_subsets
from tests.unit.endpoints.objects import pod, service


def addrs(subset, field="addresses") -> list[str]:
    return [a.ip for a in getattr(subset, field)]


def test_ready_and_not_ready_addresses_share_a_subset_with_the_same_ports():
    (s,) = desired_subsets(service(), [pod("a", "198.18.1.9"), pod("b", "198.18.1.10", ready=False),
                                       pod("c", "198.18.1.2")])
    assert addrs(s) == ["198.18.1.2", "198.18.1.9"]  # IP string order: "198.18.1.2" < "198.18.1.9"
    assert addrs(s, "not_ready_addresses") == ["198.18.1.10"]
    assert [(p.name, p.port, p.protocol) for p in s.ports] == [("http", 8080, "TCP")]


def test_sorted_by_ip_string_bytes_then_uid():
    a, b = pod("a", "198.18.1.10"), pod("b", "198.18.1.10")
    c = pod("c", "198.18.1.2")
    (s,) = desired_subsets(service(), [b, c, a])
    assert [(x.ip, x.target_ref.name) for x in s.addresses] == \
        [("198.18.1.10", "a"), ("198.18.1.10", "b"), ("198.18.1.2", "c")]


def test_terminating_pods_are_dropped_unless_publishing_not_ready_addresses():
    pods = [pod("a", "198.18.1.2"), pod("b", "198.18.1.3", terminating=True)]
    (s,) = desired_subsets(service(), pods)
    assert addrs(s) == ["198.18.1.2"] and not s.not_ready_addresses
    (s,) = desired_subsets(service(pnra=True), pods + [pod("c", "198.18.1.4", ready=False)])
    assert addrs(s) == ["198.18.1.2", "198.18.1.3", "198.18.1.4"]


def test_failed_pods_and_pods_without_ip_give_nothing():
    assert desired_subsets(service(), [pod("a", phase="Failed"), pod("b", None)]) == []


def test_named_ports_resolving_differently_give_separate_subsets():
    svc = service(ports=(("http", 80, "http"),))
    subsets = desired_subsets(svc, [pod("a", "198.18.1.2", container_ports=(("http", 3000),)),
                                    pod("b", "198.18.1.3", container_ports=(("http", 3001),))])
    assert sorted((addrs(s)[0], s.ports[0].port) for s in subsets) == [("198.18.1.2", 3000), ("198.18.1.3", 3001)]


def test_repack_groups_addresses_by_their_port_set():
    svc = service(ports=(("a", 80, "pa"), ("b", 81, "pb")))
    both = pod("x", "198.18.1.2", container_ports=(("pa", 1), ("pb", 2)))
    one = pod("y", "198.18.1.3", container_ports=(("pa", 1),))
    subsets = desired_subsets(svc, [both, one])
    got = sorted((tuple(addrs(s)), tuple(p.name for p in s.ports)) for s in subsets)
    assert got == [(("198.18.1.2",), ("b",)), (("198.18.1.2", "198.18.1.3"), ("a",))]


def test_headless_without_ports_and_hostname():
    svc = service("web", ports=(), cluster_ip="None")
    (s,) = desired_subsets(svc, [pod("web-0", hostname="web-0", subdomain="web")])
    assert not s.ports and s.addresses[0].hostname == "web-0" and s.addresses[0].node_name == "node-1"
    t = s.addresses[0].target_ref
    assert (t.kind, t.namespace, t.name, t.uid) == ("Pod", "default", "web-0", "web-0-uid")


def test_object_labels_and_no_write_when_equal():
    svc = service("web", labels={"app": "web"}, cluster_ip="None")
    ep = desired_endpoints(svc, [pod("a")], None, "2026-01-01T00:00:00Z")
    assert (ep.metadata.name, ep.metadata.namespace) == ("web", "default") and not ep.metadata.owner_references
    assert dict(ep.metadata.labels) == {"app": "web", "service.kubernetes.io/headless": ""}
    assert ep.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] == "2026-01-01T00:00:00Z"
    assert desired_endpoints(svc, [pod("a")], ep, None) is None
    changed = desired_endpoints(svc, [pod("a", ready=False)], ep, None)
    assert addrs(changed.subsets[0], "not_ready_addresses") == ["198.18.1.2"]
    assert "endpoints.kubernetes.io/last-change-trigger-time" not in changed.metadata.annotations


def test_over_capacity_is_truncated_and_annotated():
    pods = [pod(f"p{i}", f"198.18.{i // 200}.{i % 200 + 2}") for i in range(MAX_CAPACITY + 5)]
    pods += [pod("nr", "198.18.9.9", ready=False)]
    ep = desired_endpoints(service(), pods, None, None)
    assert sum(len(s.addresses) for s in ep.subsets) == MAX_CAPACITY
    assert not any(s.not_ready_addresses for s in ep.subsets)
    assert ep.metadata.annotations["endpoints.kubernetes.io/over-capacity"] == "truncated"
    assert desired_endpoints(service(), pods, ep, None) is None


def test_not_ready_addresses_are_cut_first():
    pods = [pod(f"p{i}", f"198.18.{i // 200}.{i % 200 + 2}", ready=i >= 10) for i in range(MAX_CAPACITY + 5)]
    ep = desired_endpoints(service(), pods, None, None)
    (s,) = ep.subsets
    assert (len(s.addresses), len(s.not_ready_addresses)) == (MAX_CAPACITY - 5, 5)
