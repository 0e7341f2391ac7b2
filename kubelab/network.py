"""The cluster's address plan, shared by every component that needs it.

Pods get addresses from `198.18.0.0/16` and Services from `198.19.0.0/16`: the two halves of RFC 2544's
benchmarking range, which is never a real network, so neither collides with a LAN or a VPN. Each node
gets a /24 of the pod range (`spec.podCIDR`, allocated by the node lifecycle controller as
`--allocate-node-cidrs` does). In the service range, index 1 is the `kubernetes` Service and index 10
is `kube-dns` (kubeadm's GetDNSIP), as on a real cluster.
"""
from __future__ import annotations

import ipaddress

__all__ = [
    "CLUSTER_DOMAIN", "DEFAULT_POD_CIDR", "DEFAULT_SERVICE_CIDR", "DNS_SERVICE_INDEX", "KUBERNETES_SERVICE_INDEX",
    "NODE_CIDR_MASK", "service_ip",
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
