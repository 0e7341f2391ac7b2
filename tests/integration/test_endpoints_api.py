"""Endpoints and EndpointSlices through the real API server: CRUD, defaults, and validation errors
worded as Kubernetes words them."""
import uuid

import pytest

from kubelab import manifest
from kubelab.client import ApiError


def endpoints(name: str, ip: str) -> object:
    return manifest.from_dict({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
                               "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 8080}]}]})


def endpoint_slice(service: str, ip: str) -> object:
    return manifest.from_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"generateName": f"{service}-", "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4", "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": [{"name": "http", "port": 8080}]})


async def test_endpoints_crud_and_validation(client):
    name = f"ep-{uuid.uuid4().hex[:6]}"
    created = await client.create(endpoints(name, "198.18.3.4"))
    assert created.subsets[0].ports[0].protocol == "TCP"  # defaulted
    created.subsets[0].addresses.add(ip="198.18.3.5")
    updated = await client.update(created)
    assert [a.ip for a in updated.subsets[0].addresses] == ["198.18.3.4", "198.18.3.5"]
    with pytest.raises(ApiError) as e:
        await client.create(endpoints("loop", "127.0.0.1"))
    assert e.value.reason == "Invalid"
    assert e.value.message == ('Endpoints "loop" is invalid: subsets[0].addresses[0].ip: Invalid value: '
                               '"127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)')
    await client.delete("Endpoints", name, "default")
    with pytest.raises(ApiError) as e:
        await client.get("ep", name, "default")
    assert e.value.reason == "NotFound"


async def test_endpoint_slice_crud_and_validation(client):
    svc = f"web-{uuid.uuid4().hex[:6]}"
    created = await client.create(endpoint_slice(svc, "198.18.3.4"))
    assert created.metadata.name.startswith(f"{svc}-") and created.ports[0].protocol == "TCP"
    items, _ = await client.list("EndpointSlice", "default", label_selector=f"kubernetes.io/service-name={svc}")
    assert [i.metadata.name for i in items] == [created.metadata.name]
    created.address_type = "IPv6"
    with pytest.raises(ApiError) as e:
        await client.update(created)
    assert 'addressType: Invalid value: "IPv6": field is immutable' in e.value.message
    bad = endpoint_slice(svc, "198.18.3.4")
    bad.metadata.name = "bad"
    del bad.endpoints[0].addresses[:]
    bad.ports.add(name="http", port=9090)
    with pytest.raises(ApiError) as e:
        await client.create(bad)
    assert e.value.message == ('EndpointSlice.discovery.k8s.io "bad" is invalid: [endpoints[0].addresses: Required '
                               'value: must contain at least 1 address, ports[1].name: Duplicate value: "http"]')
    await client.delete("EndpointSlice", created.metadata.name, "default")
