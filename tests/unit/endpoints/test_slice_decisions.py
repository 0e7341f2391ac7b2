"""The EndpointSlice controller's decision: which pods, conditions, ports by name, grouping by port map,
the per-slice limit, the placeholder, labels and ownership, and minimal writes."""
from __future__ import annotations

import itertools

import pytest

from kubelab.api.v1 import discovery_pb2
from services.endpoints.slice_decisions import SlicePlan, SliceSnapshot, plan_slices
from tests.unit.endpoints.objects import node, pod, service

NODES = {"node-1": node("node-1", zone="zone-a"), "node-2": node("node-2")}
_names = itertools.count()


def plan(svc, pods, slices=(), nodes=None, limit=100, trigger=None) -> SlicePlan:
    return plan_slices(SliceSnapshot(svc, list(pods), NODES if nodes is None else nodes, list(slices), limit, trigger))


def applied(p: SlicePlan, slices=()) -> list[discovery_pb2.EndpointSlice]:
    """What the API holds after the plan is written (the API server names created slices)."""
    out = {s.metadata.name: s for s in slices}
    for es in p.create:
        es.metadata.name = es.metadata.generate_name + f"{next(_names):05d}"
        es.metadata.uid = es.metadata.name + "-uid"
        out[es.metadata.name] = es
    for es in p.update:
        out[es.metadata.name] = es
    for es in p.delete:
        out.pop(es.metadata.name)
    return list(out.values())


def converge(svc, pods, slices=(), **kw) -> list[discovery_pb2.EndpointSlice]:
    slices = applied(plan(svc, pods, slices, **kw), slices)
    assert plan(svc, pods, slices, **kw).empty, "a second sync over the result must change nothing"
    return slices


def endpoints_of(slices) -> list[str]:
    return sorted(ep.target_ref.name for es in slices for ep in es.endpoints)


def test_one_endpoint_per_pod_in_endpoints():
    pods = [pod("a", "198.18.1.2"), pod("b", "198.18.1.3", ready=False), pod("c", None), pod("d", phase="Failed"),
            pod("e", "198.18.1.5", terminating=True)]
    (es,) = converge(service(), pods)
    assert endpoints_of([es]) == ["a", "b", "e"]
    assert es.address_type == "IPv4"
    assert [(p.name, p.port, p.protocol) for p in es.ports] == [("http", 8080, "TCP")]


@pytest.mark.parametrize("ready, terminating, pnra, want", [
    (True, False, False, (True, True, False)),
    (False, False, False, (False, False, False)),
    (True, True, False, (False, True, True)),
    (False, True, False, (False, False, True)),
    (False, False, True, (True, False, False)),
    (True, True, True, (True, True, True)),
])
def test_conditions(ready, terminating, pnra, want):
    (es,) = converge(service(pnra=pnra), [pod("a", ready=ready, terminating=terminating)])
    c = es.endpoints[0].conditions
    assert (c.HasField("ready"), c.HasField("serving"), c.HasField("terminating")) == (True, True, True)
    assert (c.ready, c.serving, c.terminating) == want


def test_endpoint_fields():
    (es,) = converge(service("web"), [pod("web-0", "198.18.1.2", hostname="web-0", subdomain="web"),
                                      pod("x", "198.18.2.2", node="node-2", hostname="x", subdomain="other")])
    a, b = sorted(es.endpoints, key=lambda e: e.target_ref.name)
    assert list(a.addresses) == ["198.18.1.2"] and a.hostname == "web-0"
    assert (a.node_name, a.zone) == ("node-1", "zone-a")
    assert (a.target_ref.kind, a.target_ref.namespace, a.target_ref.name, a.target_ref.uid) == \
        ("Pod", "default", "web-0", "web-0-uid")
    assert not b.HasField("hostname") and not b.HasField("zone") and b.node_name == "node-2"


def test_named_target_port_resolves_per_pod_into_slices_by_port_map():
    svc = service(ports=(("example-name", 80, "example-name"),))
    pods = [pod("a", "198.18.1.2", container_ports=(("example-name", 3000),)),
            pod("b", "198.18.1.3", container_ports=(("example-name", 3001),)),
            pod("c", "198.18.1.4")]  # no such port: in a slice without that port
    slices = converge(svc, pods)
    by_port = {tuple(p.port for p in es.ports): endpoints_of([es]) for es in slices}
    assert by_port == {(3000,): ["a"], (3001,): ["b"], (): ["c"]}


def test_multiport():
    svc = service(ports=(("portname1", 80, "p1"), ("portname2", 81, "p2")))
    (es,) = converge(svc, [pod("a", container_ports=(("p1", 100), ("p2", 101)))])
    assert [(p.name, p.port) for p in es.ports] == [("portname1", 100), ("portname2", 101)]


def pods_n(n: int, start: int = 0):
    return [pod(f"p{i:03d}", f"198.18.{i // 200}.{i % 200 + 2}") for i in range(start, start + n)]


def test_at_most_max_endpoints_per_slice():
    slices = converge(service(), pods_n(250))
    assert sorted(len(es.endpoints) for es in slices) == [50, 100, 100]
    assert endpoints_of(slices) == sorted(f"p{i:03d}" for i in range(250))


def test_new_endpoints_fill_the_slice_closest_to_full():
    slices = converge(service(), pods_n(10), limit=10)
    slices = converge(service(), pods_n(15), slices, limit=10)
    assert sorted(len(es.endpoints) for es in slices) == [5, 10]
    # 3 more go into the slice with room, not into a new one
    p = plan(service(), pods_n(18), slices, limit=10)
    assert not p.create and not p.delete and [len(es.endpoints) for es in p.update] == [8]


def test_endpoints_added_to_a_slice_being_updated_fill_the_fullest_first():
    slices = converge(service(), pods_n(4), limit=4)
    slices = converge(service(), pods_n(7), slices, limit=4)  # 4 + 3
    # one endpoint changes in each slice, two new pods: both go into the 3-slice... which fills to 4, then 1 left
    pods = pods_n(9)
    pods[0].status.conditions[0].status = "False"
    pods[5].status.conditions[0].status = "False"
    p = plan(service(), pods, slices, limit=4)
    assert sorted(len(es.endpoints) for es in p.update) == [4, 4] and [len(es.endpoints) for es in p.create] == [1]


def test_placeholder_when_no_pods():
    p = plan(service(), [])
    (es,) = p.create
    assert not es.endpoints and not es.ports and not p.update and not p.delete
    slices = applied(p)
    assert plan(service(), [], slices).empty  # the placeholder stays as it is


def test_pods_replace_the_placeholder_in_place_and_it_comes_back_when_they_go():
    (placeholder,) = converge(service(), [])
    p = plan(service(), [pod("a")], [placeholder])
    assert not p.create and not p.delete and [es.metadata.name for es in p.update] == [placeholder.metadata.name]
    slices = applied(p, [placeholder])
    p = plan(service(), [], slices)
    (es,) = p.update
    assert es.metadata.name == placeholder.metadata.name and not es.endpoints and not es.ports


def test_headless_without_ports():
    svc = service(ports=(), cluster_ip="None")
    (es,) = converge(svc, [pod("a")])
    assert not es.ports and endpoints_of([es]) == ["a"]
    assert es.metadata.labels["service.kubernetes.io/headless"] == ""


def test_labels_owner_and_name():
    svc = service("web", labels={"app": "web", "kubernetes.io/service-name": "spoof",
                                 "endpointslice.kubernetes.io/managed-by": "me"})
    (es,) = plan(svc, [pod("a")]).create
    assert dict(es.metadata.labels) == {"app": "web", "kubernetes.io/service-name": "web",
                                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert es.metadata.generate_name == "web-" and not es.metadata.name
    (ref,) = es.metadata.owner_references
    assert (ref.api_version, ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == \
        ("v1", "Service", "web", "svc-uid", True, True)


def test_service_label_change_updates_the_slices():
    slices = converge(service(labels={"tier": "a"}), [pod("a")])
    p = plan(service(labels={"tier": "b"}), [pod("a")], slices)
    (es,) = p.update
    assert es.metadata.labels["tier"] == "b" and not p.create and not p.delete


def test_slices_not_owned_by_the_service_are_deleted():
    (old,) = converge(service(uid="old-uid"), [pod("a")])
    p = plan(service(uid="new-uid"), [pod("a")], [old])
    assert [es.metadata.name for es in p.delete] == [old.metadata.name] and len(p.create) == 1


def test_unchanged_slices_are_not_written():
    slices = converge(service(), pods_n(150))
    pods = pods_n(150)
    pods[3].status.conditions[0].status = "False"
    p = plan(service(), pods, slices)
    (es,) = p.update
    assert not p.create and not p.delete and "p003" in endpoints_of([es])


def test_a_pod_gone_empties_and_deletes_its_slice_and_the_placeholder_takes_over():
    slices = converge(service(), [pod("a")])
    p = plan(service(), [], slices)
    (es,) = p.update  # the create of the placeholder became an update of the slice to delete
    assert not p.delete and not p.create and not es.endpoints and not es.ports


def test_missing_node_skips_the_pod_with_an_error_unless_publishing_not_ready():
    p = plan(service(), [pod("a", node="node-9"), pod("b")])
    assert p.errors == ["skipping Pod a for Service default/web: Node node-9 Not Found"]
    assert endpoints_of(p.create) == ["b"]
    p = plan(service(pnra=True), [pod("a", node="node-9")])
    assert not p.errors and endpoints_of(p.create) == ["a"]


def test_no_creates_for_a_service_being_deleted():
    svc = service()
    svc.metadata.deletion_timestamp.FromSeconds(5)
    assert plan(svc, [pod("a")]).empty


def test_trigger_time_annotation():
    (es,) = plan(service(), [pod("a")], trigger="2026-01-01T00:00:00Z").create
    assert es.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] == "2026-01-01T00:00:00Z"
