"""The endpoints controllers as a real process against a real API server on a real Redis. The tests play
the scheduler and the kubelets: pods are created bound to a node, and their status (phase, podIP in
198.18.0.0/16, the Ready condition) is written through UpdateStatus; Nodes are plain objects."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_not_found
from kubelab.manifest import from_dict
from tests.integration.replicaset.conftest import controllers, ns, wait_for  # noqa: F401  (fixtures)

MANAGED_BY = "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io"


@pytest.fixture
async def cluster_nodes(client):
    """node-1 (zone-a) and node-2, as objects (shared by every test of the module)."""
    for name, zone in (("node-1", "zone-a"), ("node-2", "")):
        node = core_pb2.Node()
        node.metadata.name = name
        if zone:
            node.metadata.labels["topology.kubernetes.io/zone"] = zone
        try:
            await client.create(node)
        except ApiError as e:
            if not is_already_exists(e):
                raise
    return ["node-1", "node-2"]


@pytest.fixture
def endpoints(controllers, cluster_nodes):
    return controllers("endpoints")


def service(name: str, selector: dict | None, ports: list[dict], **spec) -> core_pb2.Service:
    body = {"ports": ports, **spec}
    if selector is not None:
        body["selector"] = selector
    return from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body})


async def run_pod(client: Client, ns: str, name: str, ip: str, *, labels: dict, ports=(), ready: bool = True,
                  node: str = "node-1", phase: str = "Running", **spec) -> core_pb2.Pod:
    """A pod bound to `node`, then its status as its kubelet would report it."""
    pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                     "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx", "ports": [
                         {"name": n, "containerPort": p} for n, p in ports]}], **spec}})
    pod = await client.create(pod, ns)
    return await set_status(client, pod, ip, ready=ready, phase=phase)


async def set_status(client: Client, pod: core_pb2.Pod, ip: str | None = None, *, ready: bool = True,
                     phase: str = "Running") -> core_pb2.Pod:
    for _ in range(20):
        if ip:
            pod.status.pod_ip = ip
            del pod.status.pod_ips[:]
            pod.status.pod_ips.add(ip=ip)
        pod.status.phase = phase
        del pod.status.conditions[:]
        cond = pod.status.conditions.add(type="Ready", status="True" if ready else "False")
        cond.last_transition_time.GetCurrentTime()
        try:
            return await client.update_status(pod)
        except ApiError as e:
            if not is_conflict(e):
                raise
            pod = await client.get("Pod", pod.metadata.name, pod.metadata.namespace)
    raise AssertionError(f"could not update the status of {pod.metadata.name}")


async def slices_of(client: Client, ns: str, svc: str, managed: bool = True) -> list:
    selector = f"kubernetes.io/service-name={svc}" + (f",{MANAGED_BY}" if managed else "")
    items, _ = await client.list("EndpointSlice", ns, label_selector=selector)
    return items


def slice_view(slices) -> dict[str, list[tuple]]:
    """pod name -> [(port name, port)] over all slices, as the e2e tests' expectations read."""
    out: dict[str, list[tuple]] = {}
    for es in slices:
        for ep in es.endpoints:
            out.setdefault(ep.target_ref.name, []).extend(sorted((p.name, p.port) for p in es.ports))
    return {k: sorted(v) for k, v in out.items()}


async def endpoints_view(client: Client, ns: str, svc: str) -> dict[str, list[tuple]] | None:
    """pod name -> [(port name, port)] over the Endpoints' ready addresses; None when there is no object."""
    try:
        ep = await client.get("Endpoints", svc, ns)
    except ApiError as e:
        if is_not_found(e):
            return None
        raise
    out: dict[str, list[tuple]] = {}
    for subset in ep.subsets:
        for addr in subset.addresses:
            out.setdefault(addr.target_ref.name, []).extend((p.name, p.port) for p in subset.ports)
    return {k: sorted(v) for k, v in out.items()}


async def wait_views(client: Client, ns: str, svc: str, want: dict, timeout: float = 30.0) -> list:
    """Wait until both the slices and the Endpoints show `want`; returns the slices."""
    async def both():
        slices = await slices_of(client, ns, svc)
        got = slice_view(slices), await endpoints_view(client, ns, svc)
        return slices if got == (want, want) else None
    return await wait_for(both, timeout, f"endpoints of {svc} to be {want}")
