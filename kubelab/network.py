"""The cluster's address plan, shared by every component that needs it.

Pods get addresses from `198.18.0.0/16` and Services from `198.19.0.0/16`: the two halves of RFC 2544's
benchmarking range, which is never a real network, so neither collides with a LAN or a VPN. Each node
gets a /24 of the pod range (`spec.podCIDR`, allocated by the node lifecycle controller as
`--allocate-node-cidrs` does). In the service range, index 1 is the `kubernetes` Service and index 10
is `kube-dns` (kubeadm's GetDNSIP), as on a real cluster.
"""
from __future__ import annotations

import ipaddress
import socket

__all__ = [
    "CLUSTER_DOMAIN", "DEFAULT_POD_CIDR", "DEFAULT_SERVICE_CIDR", "DNS_SERVICE_INDEX", "KUBERNETES_SERVICE_INDEX",
    "NODE_CIDR_MASK", "cluster_id", "own_address", "service_ip",
]

DEFAULT_POD_CIDR = "198.18.0.0/16"
DEFAULT_SERVICE_CIDR = "198.19.0.0/16"
NODE_CIDR_MASK = 24
CLUSTER_DOMAIN = "cluster.local"
KUBERNETES_SERVICE_INDEX = 1
DNS_SERVICE_INDEX = 10


def service_ip(cidr: str, index: int) -> str:
    """The `index`-th address of a service range: `service_ip("198.19.0.0/16", 10)` is 198.19.0.10."""
    net = ipaddress.ip_network(cidr, strict=False)
    if not 0 < index < net.num_addresses - 1:
        raise ValueError(f"index {index} is outside service range {net}")
    return str(net.network_address + index)


def cluster_id(state_dir: str) -> str:
    """A short id for one cluster on this machine, from its state dir: kernel objects that several clusters
    could both create (network namespaces, bridges, veths, nft tables, service addresses) carry it, so
    clusters side by side never touch each other's. Eight hex characters keep interface names within
    Linux's 15: `kl<id>-br3` is 13."""
    import hashlib
    import os

    return hashlib.sha256(os.path.realpath(state_dir).encode()).hexdigest()[:8]


def own_address(host: str) -> str:
    """`host` as an IP address: itself if it is one, else its first IPv4 address, looked up once at start.

    docker compose gives a container's address only at run time; each container knows its own through its
    service name, so the API server's `--advertise-address apiserver` and the DNS server's
    `--listen-dns dns:53` name themselves and are written into the kubernetes and kube-dns endpoints as
    the address the node containers reach them on. ValueError names the host when it does not resolve.
    """
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as e:
        raise ValueError(f"{host!r} is neither an IP address nor a name that resolves: {e}") from None
    return infos[0][4][0]
