"""Service environment variables, as the kubelet sets them (pkg/kubelet/envvars/envvars.go FromServices, and
getServiceEnvVarMap in pkg/kubelet/kubelet_pods.go).

For each Service with a ClusterIP (not headless, not ExternalName) in the pod's namespace when the pod's
`enableServiceLinks` is true (the default), and for `default/kubernetes` always:

    REDIS_MASTER_SERVICE_HOST=198.19.0.11       REDIS_MASTER_PORT=tcp://198.19.0.11:6379
    REDIS_MASTER_SERVICE_PORT=6379              REDIS_MASTER_PORT_6379_TCP=tcp://198.19.0.11:6379
    REDIS_MASTER_SERVICE_PORT_<PORTNAME>=6379   REDIS_MASTER_PORT_6379_TCP_PROTO=tcp
                                                REDIS_MASTER_PORT_6379_TCP_PORT=6379
                                                REDIS_MASTER_PORT_6379_TCP_ADDR=198.19.0.11

The right column is Docker's old link variables. Pure.
"""
from __future__ import annotations

from typing import Iterable

from kubelab.api.v1 import core_pb2

__all__ = ["from_services", "service_env", "env_name", "MASTER_SERVICES"]

#: Services of the default namespace every pod gets, whatever its enableServiceLinks says.
MASTER_SERVICES = {"kubernetes"}


def env_name(name: str) -> str:
    """makeEnvVariableName: upper case, `-` -> `_`."""
    return name.replace("-", "_").upper()


def _has_cluster_ip(svc: core_pb2.Service) -> bool:
    return svc.spec.cluster_ip not in ("", "None")


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"  # net.JoinHostPort


def _link_variables(svc: core_pb2.Service) -> list[tuple[str, str]]:
    prefix, ip = env_name(svc.metadata.name), svc.spec.cluster_ip
    out: list[tuple[str, str]] = []
    for i, sp in enumerate(svc.spec.ports):
        proto = sp.protocol or "TCP"
        url = f"{proto.lower()}://{_host_port(ip, sp.port)}"
        if i == 0:
            out.append((f"{prefix}_PORT", url))  # Docker special-cases the first port
        port_prefix = f"{prefix}_PORT_{sp.port}_{proto.upper()}"
        out += [(port_prefix, url), (f"{port_prefix}_PROTO", proto.lower()), (f"{port_prefix}_PORT", str(sp.port)),
                (f"{port_prefix}_ADDR", ip)]
    return out


def from_services(services: Iterable[core_pb2.Service]) -> list[tuple[str, str]]:
    """FromServices: the variables of each Service with a ClusterIP, in order."""
    out: list[tuple[str, str]] = []
    for svc in services:
        if not _has_cluster_ip(svc) or not svc.spec.ports:
            continue
        name = env_name(svc.metadata.name)
        out.append((f"{name}_SERVICE_HOST", svc.spec.cluster_ip))
        out.append((f"{name}_SERVICE_PORT", str(svc.spec.ports[0].port)))
        out += [(f"{name}_SERVICE_PORT_{env_name(sp.name)}", str(sp.port)) for sp in svc.spec.ports if sp.name]
        out += _link_variables(svc)
    return out


def service_env(services: Iterable[core_pb2.Service], namespace: str, enable_service_links: bool) -> dict[str, str]:
    """getServiceEnvVarMap: the variables a pod in `namespace` gets."""
    chosen: dict[str, core_pb2.Service] = {}
    for svc in services:
        if not _has_cluster_ip(svc):
            continue
        name, ns = svc.metadata.name, svc.metadata.namespace
        if ns == "default" and name in MASTER_SERVICES:
            chosen.setdefault(name, svc)
        elif ns == namespace and enable_service_links:
            chosen[name] = svc
    return dict(from_services(chosen[n] for n in sorted(chosen)))
