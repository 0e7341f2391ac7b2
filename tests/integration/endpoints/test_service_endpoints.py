"""Upstream test/e2e/network/service.go checks on endpoints, against the real controller process: a basic
endpoint following pods as they come and go, multiport endpoints, publishNotReadyAddresses, terminating
pods, evicted (Failed) pods, pods relabelled out of the selector."""
from __future__ import annotations

from tests.integration.endpoints.conftest import (endpoints_view, run_pod, service, set_status, slice_view, slices_of,
                                                  wait_for, wait_views)


async def test_serve_a_basic_endpoint_from_pods(client, ns, endpoints):
    await client.create(service("endpoint-test2", {"name": "basic"}, [{"port": 80, "targetPort": 80}]), ns)
    await wait_views(client, ns, "endpoint-test2", {})
    await run_pod(client, ns, "pod1", "198.18.1.2", labels={"name": "basic"}, ports=[("", 80)])
    await wait_views(client, ns, "endpoint-test2", {"pod1": [("", 80)]})
    await run_pod(client, ns, "pod2", "198.18.2.2", labels={"name": "basic"}, ports=[("", 80)], node="node-2")
    await wait_views(client, ns, "endpoint-test2", {"pod1": [("", 80)], "pod2": [("", 80)]})
    await client.delete("Pod", "pod1", ns, grace_period_seconds=0)
    await wait_views(client, ns, "endpoint-test2", {"pod2": [("", 80)]})
    await client.delete("Pod", "pod2", ns, grace_period_seconds=0)
    slices = await wait_views(client, ns, "endpoint-test2", {})
    assert len(slices) == 1 and not slices[0].endpoints  # the placeholder again, not a second slice


async def test_serve_multiport_endpoints_from_pods(client, ns, endpoints):
    ports = [{"name": "portname1", "port": 80, "targetPort": "svc1"},
             {"name": "portname2", "port": 81, "targetPort": "svc2"}]
    await client.create(service("multi-endpoint-test", {"app": "multi"}, ports), ns)
    await run_pod(client, ns, "pod1", "198.18.1.3", labels={"app": "multi"}, ports=[("svc1", 100)])
    await wait_views(client, ns, "multi-endpoint-test", {"pod1": [("portname1", 100)]})
    await run_pod(client, ns, "pod2", "198.18.1.4", labels={"app": "multi"}, ports=[("svc2", 101)])
    slices = await wait_views(client, ns, "multi-endpoint-test", {"pod1": [("portname1", 100)],
                                                                   "pod2": [("portname2", 101)]})
    assert len(slices) == 2  # the two pods' port maps differ
    await client.delete("Pod", "pod1", ns, grace_period_seconds=0)
    await wait_views(client, ns, "multi-endpoint-test", {"pod2": [("portname2", 101)]})


async def test_ports_added_to_the_service_reach_the_endpoints(client, ns, endpoints):
    await client.create(service("ports", {"app": "ports"}, [{"name": "a", "port": 80, "targetPort": 8080}]), ns)
    await run_pod(client, ns, "p", "198.18.1.5", labels={"app": "ports"})
    await wait_views(client, ns, "ports", {"p": [("a", 8080)]})
    svc = await client.get("Service", "ports", ns)
    svc.spec.ports.add(name="b", port=81, protocol="TCP").target_port.number_value = 8081
    await client.update(svc)
    slices = await wait_views(client, ns, "ports", {"p": [("a", 8080), ("b", 8081)]})
    assert len(slices) == 1


async def test_unready_pods_published_with_publish_not_ready_addresses(client, ns, endpoints):
    await client.create(service("tolerate-unready", {"app": "unready"}, [{"name": "http", "port": 80}],
                                publishNotReadyAddresses=True), ns)
    await run_pod(client, ns, "never-ready", "198.18.1.6", labels={"app": "unready"}, ready=False,
                  terminationGracePeriodSeconds=600)
    (es,) = await wait_views(client, ns, "tolerate-unready", {"never-ready": [("http", 80)]})
    c = es.endpoints[0].conditions
    assert (c.ready, c.serving, c.terminating) == (True, False, False)
    # It stays during its termination grace period (no kubelet confirms the deletion here).
    await client.delete("Pod", "never-ready", ns)

    async def terminating():
        (es,) = await slices_of(client, ns, "tolerate-unready")
        return es.endpoints and es.endpoints[0].conditions.terminating
    await wait_for(terminating, 30, "the endpoint to be terminating")
    assert await endpoints_view(client, ns, "tolerate-unready") == {"never-ready": [("http", 80)]}


async def test_terminating_pods_are_serving_not_ready_and_leave_endpoints(client, ns, endpoints):
    await client.create(service("term", {"app": "term"}, [{"name": "http", "port": 80}]), ns)
    await run_pod(client, ns, "p", "198.18.1.7", labels={"app": "term"}, terminationGracePeriodSeconds=600)
    await wait_views(client, ns, "term", {"p": [("http", 80)]})
    _, gone = await client.delete("Pod", "p", ns)
    assert not gone

    async def conditions():
        (es,) = await slices_of(client, ns, "term")
        c = es.endpoints[0].conditions if es.endpoints else None
        return c is not None and (c.ready, c.serving, c.terminating) == (False, True, True)
    await wait_for(conditions, 30, "ready=false serving=true terminating=true")
    ep = await client.get("Endpoints", "term", ns)
    assert not ep.subsets  # the legacy object drops terminating pods


async def test_evicted_pods_give_empty_endpoints(client, ns, endpoints):
    await client.create(service("evicted", {"app": "evicted"}, [{"name": "http", "port": 80}],
                                publishNotReadyAddresses=True), ns)
    pod = await run_pod(client, ns, "p", "198.18.1.8", labels={"app": "evicted"})
    await wait_views(client, ns, "evicted", {"p": [("http", 80)]})
    await set_status(client, pod, phase="Failed", ready=False)
    (es,) = await wait_views(client, ns, "evicted", {})
    assert not es.endpoints and not es.ports
    assert not (await client.get("Endpoints", "evicted", ns)).subsets


async def test_a_relabelled_pod_leaves_and_returns(client, ns, endpoints):
    await client.create(service("relabel", {"app": "relabel"}, [{"name": "http", "port": 80}]), ns)
    await run_pod(client, ns, "p", "198.18.1.9", labels={"app": "relabel"})
    await wait_views(client, ns, "relabel", {"p": [("http", 80)]})
    pod = await client.get("Pod", "p", ns)
    pod.metadata.labels["app"] = "other"
    await client.update(pod)
    await wait_views(client, ns, "relabel", {})
    assert slice_view(await slices_of(client, ns, "relabel")) == {}


async def test_syncs_that_change_nothing_write_nothing(client, ns, endpoints):
    await client.create(service("quiet", {"app": "quiet"}, [{"name": "http", "port": 80}]), ns)
    await run_pod(client, ns, "p", "198.18.1.10", labels={"app": "quiet"})
    (es,) = await wait_views(client, ns, "quiet", {"p": [("http", 80)]})
    ep = await client.get("Endpoints", "quiet", ns)
    svc = await client.get("Service", "quiet", ns)
    svc.metadata.annotations["touched"] = "yes"  # brings the Service back to both controllers
    await client.update(svc)
    # A sync point: a Service queued after it, done once its slice and Endpoints exist.
    await client.create(service("later", {"app": "later"}, [{"name": "http", "port": 80}]), ns)
    await wait_views(client, ns, "later", {})
    (after,) = await slices_of(client, ns, "quiet")
    assert after.metadata.resource_version == es.metadata.resource_version
    assert (await client.get("Endpoints", "quiet", ns)).metadata.resource_version == ep.metadata.resource_version
