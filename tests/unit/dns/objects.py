"""API objects for the DNS tests, as a user would write them (manifests through kubelab.manifest)."""
from __future__ import annotations

import yaml

from kubelab import manifest


def namespace(name: str):
    return manifest.from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def service(name: str, ns: str = "default", cluster_ip: str = "None", ports: str = "[{name: web, port: 80}]",
            **spec):
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
           "spec": {"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "ports": yaml.safe_load(ports), **spec}}
    if spec.get("type") == "ExternalName":
        del doc["spec"]["clusterIP"], doc["spec"]["clusterIPs"]
    return manifest.from_dict(doc)


def endpoint_slice(name: str, service_name: str, endpoints: list[dict], ports: list[dict] | None = None,
                   ns: str = "default"):
    return manifest.from_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": "IPv4", "endpoints": endpoints,
        "ports": [{"name": "web", "port": 80, "protocol": "TCP"}] if ports is None else ports})
