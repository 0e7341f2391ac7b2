"""Builders for the endpoints controllers' unit tests: Services, pods and nodes as the API holds them."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.manifest import from_dict


def service(name: str = "web", *, ports=(("http", 80, 8080),), cluster_ip: str = "198.19.0.20", labels=None,
            selector=None, pnra: bool = False, protocol: str = "TCP", uid: str = "svc-uid") -> core_pb2.Service:
    spec = {"selector": {"app": name} if selector is None else selector,
            "ports": [{"name": n, "port": p, "targetPort": t, "protocol": protocol} for n, p, t in ports],
            "clusterIP": cluster_ip, "publishNotReadyAddresses": pnra}
    svc = from_dict({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": name, "namespace": "default", "uid": uid, "labels": labels or {}},
                     "spec": spec})
    svc.metadata.creation_timestamp.FromSeconds(1000)
    return svc


def pod(name: str, ip: str | None = "198.18.1.2", *, ready: bool = True, phase: str = "Running", node: str = "node-1",
        labels=None, container_ports=(), hostname: str = "", subdomain: str = "", terminating: bool = False,
        ready_at: int = 2000) -> core_pb2.Pod:
    p = from_dict({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "default", "uid": f"{name}-uid",
                                "labels": {"app": "web"} if labels is None else labels},
                   "spec": {"nodeName": node, "hostname": hostname, "subdomain": subdomain,
                            "containers": [{"name": "c", "image": "nginx",
                                            "ports": [{"name": n, "containerPort": c, "protocol": "TCP"}
                                                      for n, c in container_ports]}]},
                   "status": {"phase": phase}})
    if ip:
        p.status.pod_ip = ip
        p.status.pod_ips.add(ip=ip)
    cond = p.status.conditions.add(type="Ready", status="True" if ready else "False")
    cond.last_transition_time.FromSeconds(ready_at)
    if terminating:
        p.metadata.deletion_timestamp.FromSeconds(3000)
    return p


def node(name: str = "node-1", zone: str = "") -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = name
    if zone:
        n.metadata.labels["topology.kubernetes.io/zone"] = zone
    return n
