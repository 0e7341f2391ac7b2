"""Upstream test/e2e/network/endpointslice.go checks, against the real controller process: the placeholder
for a Service matching no pods and its garbage collection, slices for pods (integer and named targetPort,
targetRef), deleted slices recreated, hand-made slices of a selector-less Service left alone, labels,
zones and a pod on a Node that does not exist."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found
from kubelab.manifest import from_dict
from tests.integration.endpoints.conftest import run_pod, service, slice_view, slices_of, wait_for, wait_views
from tests.integration.replicaset.conftest import events_for


async def gone(client, kind: str, ns: str, name: str) -> bool:
    try:
        await client.get(kind, name, ns)
    except ApiError as e:
        return is_not_found(e)
    return False


async def test_placeholder_for_a_service_matching_no_pods_then_collected(client, ns, endpoints, controllers):
    controllers("lifecycle")  # the garbage collector
    svc = await client.create(service("example-empty-selector", {"does-not-match-anything": "endpoints"},
                                      [{"name": "example", "port": 80, "targetPort": 80}]), ns)
    (es,) = await wait_views(client, ns, "example-empty-selector", {})
    assert not es.endpoints and not es.ports and es.address_type == "IPv4"
    assert es.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert es.metadata.name.startswith("example-empty-selector-")
    (ref,) = es.metadata.owner_references
    assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == \
        ("Service", svc.metadata.name, svc.metadata.uid, True, True)
    await client.delete("Service", "example-empty-selector", ns)

    async def collected():
        return not await slices_of(client, ns, "example-empty-selector", managed=False) and \
            await gone(client, "Endpoints", ns, "example-empty-selector")
    await wait_for(collected, 30, "the slice and the Endpoints to go with the Service")


async def test_slices_for_pods_integer_and_named_target_ports(client, ns, endpoints):
    await client.create(service("example-int-port", {"app": "e2e"}, [{"name": "example", "port": 80,
                                                                      "targetPort": 3000}]), ns)
    await client.create(service("example-named-port", {"app": "e2e"}, [{"name": "http", "port": 80,
                                                                        "targetPort": "example-name"}]), ns)
    pod1 = await run_pod(client, ns, "pod1", "198.18.1.20", labels={"app": "e2e"}, ports=[("example-name", 3000)])
    pod2 = await run_pod(client, ns, "pod2", "198.18.2.20", labels={"app": "e2e"}, ports=[("example-name", 3001)],
                         node="node-2")
    (es,) = await wait_views(client, ns, "example-int-port", {"pod1": [("example", 3000)],
                                                              "pod2": [("example", 3000)]})
    assert [(p.name, p.port, p.protocol) for p in es.ports] == [("example", 3000, "TCP")]
    assert "service.kubernetes.io/headless" not in es.metadata.labels  # a ClusterIP Service
    refs = {ep.target_ref.name: ep.target_ref for ep in es.endpoints}
    for pod in (pod1, pod2):
        ref = refs[pod.metadata.name]
        assert (ref.kind, ref.namespace, ref.uid) == ("Pod", ns, pod.metadata.uid)
    zones = {ep.target_ref.name: (ep.node_name, ep.zone) for ep in es.endpoints}
    assert zones == {"pod1": ("node-1", "zone-a"), "pod2": ("node-2", "")}
    named = await wait_views(client, ns, "example-named-port", {"pod1": [("http", 3000)], "pod2": [("http", 3001)]})
    assert len(named) == 2


async def test_deleted_slices_are_recreated(client, ns, endpoints):
    await client.create(service("recreate", {"app": "recreate"}, [{"name": "http", "port": 80}]), ns)
    await run_pod(client, ns, "p", "198.18.1.21", labels={"app": "recreate"})
    (es,) = await wait_views(client, ns, "recreate", {"p": [("http", 80)]})
    await client.delete("EndpointSlice", es.metadata.name, ns)
    await client.delete("Endpoints", "recreate", ns)

    async def recreated():
        slices = await slices_of(client, ns, "recreate")
        return len(slices) == 1 and slices[0].metadata.uid != es.metadata.uid and slice_view(slices) == \
            {"p": [("http", 80)]} and not await gone(client, "Endpoints", ns, "recreate")
    await wait_for(recreated, 30, "the slice and the Endpoints to come back")


async def test_hand_made_slices_of_a_selectorless_service_are_left_alone(client, ns, endpoints):
    await client.create(service("example-custom-endpoints", None, [{"name": "port80", "port": 80}]), ns)
    custom = from_dict({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                        "metadata": {"name": "e2e-custom-slice", "labels": {
                            "kubernetes.io/service-name": "example-custom-endpoints",
                            "endpointslice.kubernetes.io/managed-by": "e2e-test-custom"}},
                        "addressType": "IPv4",
                        "endpoints": [{"addresses": ["198.18.1.30"]}],
                        "ports": [{"name": "port80", "port": 8090, "protocol": "TCP"}]})
    await client.create(custom, ns)
    # A managed slice and a selector-full Service beside them prove the controller ran meanwhile.
    await client.create(service("witness", {"app": "witness"}, [{"name": "http", "port": 80}]), ns)
    await wait_views(client, ns, "witness", {})
    slices = await slices_of(client, ns, "example-custom-endpoints", managed=False)
    assert [s.metadata.name for s in slices] == ["e2e-custom-slice"]
    assert slices[0].ports[0].port == 8090
    assert await gone(client, "Endpoints", ns, "example-custom-endpoints")


async def test_labels_follow_the_service(client, ns, endpoints):
    svc = service("headless", {"app": "hl"}, [{"name": "web", "port": 80}], clusterIP="None")
    svc.metadata.labels.update({"tier": "a", "kubernetes.io/service-name": "spoof"})
    await client.create(svc, ns)
    await run_pod(client, ns, "web-0", "198.18.1.22", labels={"app": "hl"}, hostname="web-0", subdomain="headless")
    (es,) = await wait_views(client, ns, "headless", {"web-0": [("web", 80)]})
    assert dict(es.metadata.labels) == {
        "tier": "a", "kubernetes.io/service-name": "headless", "service.kubernetes.io/headless": "",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert es.endpoints[0].hostname == "web-0"
    assert "endpoints.kubernetes.io/last-change-trigger-time" in es.metadata.annotations
    ep = await client.get("Endpoints", "headless", ns)
    assert dict(ep.metadata.labels) == {"tier": "a", "kubernetes.io/service-name": "spoof",
                                        "service.kubernetes.io/headless": ""}
    assert ep.subsets[0].addresses[0].hostname == "web-0" and not ep.metadata.owner_references
    svc = await client.get("Service", "headless", ns)
    svc.metadata.labels["tier"] = "b"
    await client.update(svc)

    async def relabelled():
        (es,) = await slices_of(client, ns, "headless")
        ep = await client.get("Endpoints", "headless", ns)
        return es.metadata.labels.get("tier") == "b" and ep.metadata.labels.get("tier") == "b"
    await wait_for(relabelled, 30, "the slice and the Endpoints to take the Service's labels")


async def test_a_pod_on_a_missing_node_waits_for_the_node(client, ns, endpoints):
    await client.create(service("nodeless", {"app": "nodeless"}, [{"name": "http", "port": 80}]), ns)
    node = f"node-{ns}"
    await run_pod(client, ns, "p", "198.18.1.23", labels={"app": "nodeless"}, node=node)

    async def warned():
        return [e for e in await events_for(client, ns, "nodeless") if e.startswith("FailedToUpdateEndpointSlices")]
    (event, *_) = await wait_for(warned, 30, "the warning event")
    assert event == (f"FailedToUpdateEndpointSlices Error updating Endpoint Slices for Service {ns}/nodeless: "
                     f"skipping Pod p for Service {ns}/nodeless: Node {node} Not Found")
    assert slice_view(await slices_of(client, ns, "nodeless")) == {}
    n = core_pb2.Node()
    n.metadata.name = node
    await client.create(n)
    try:
        await wait_views(client, ns, "nodeless", {"p": [("http", 80)]})
    finally:
        await client.delete("Node", node)


async def test_many_pods_fill_slices_of_the_configured_size(client, ns, controllers, cluster_nodes):
    controllers("endpoints", "--max-endpoints-per-slice", "3")
    await client.create(service("many", {"app": "many"}, [{"name": "http", "port": 80}]), ns)
    for i in range(7):
        await run_pod(client, ns, f"p{i}", f"198.18.3.{i + 2}", labels={"app": "many"})
    want = {f"p{i}": [("http", 80)] for i in range(7)}
    slices = await wait_views(client, ns, "many", want)
    # How 7 pods arriving over several syncs spread depends on how the syncs batch them ([3, 3, 1] or
    # [3, 2, 2]); never more than 3 in a slice, and no slice more than the 7 endpoints need.
    sizes = [len(s.endpoints) for s in slices]
    assert max(sizes) == 3 and sum(sizes) == 7 and len(sizes) == 3


async def test_a_node_zone_change_reaches_the_endpoints(client, ns, endpoints):
    node = core_pb2.Node()
    node.metadata.name = f"zoned-{ns}"
    node.metadata.labels["topology.kubernetes.io/zone"] = "zone-a"
    await client.create(node)
    try:
        await client.create(service("zoned", {"app": "zoned"}, [{"name": "http", "port": 80}]), ns)
        await run_pod(client, ns, "p", "198.18.1.24", labels={"app": "zoned"}, node=node.metadata.name)

        async def zone_is(want):
            slices = await slices_of(client, ns, "zoned")
            return [ep.zone for es in slices for ep in es.endpoints] == [want]
        await wait_for(lambda: zone_is("zone-a"), 30, "the endpoint in zone-a")
        node = await client.get("Node", node.metadata.name)
        node.metadata.labels["topology.kubernetes.io/zone"] = "zone-b"
        await client.update(node)
        await wait_for(lambda: zone_is("zone-b"), 30, "the endpoint in zone-b")
    finally:
        await client.delete("Node", node.metadata.name)
