"""Pod CIDRs for nodes, pure: what k/k `pkg/controller/nodeipam/ipam/range_allocator.go` and its
`cidrset` decide when kube-controller-manager runs with `--allocate-node-cidrs`.

The cluster CIDR (`--cluster-cidr`) is cut into blocks of `--node-cidr-mask-size` (24); a node without
`spec.podCIDR` gets the lowest block no other node holds (nor one just handed out and not yet seen in the
cache). A node's block is free again once the Node is gone: the set in use is always computed from the
nodes that exist, so a deleted node releases its range.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from kubelab import fielderrors
from kubelab.fielderrors import FieldError

__all__ = ["cluster_cidr_errors", "check_cluster_cidr", "next_free"]

MAX_BLOCKS_BITS = 16
"""A cluster CIDR is cut into at most 2^16 node ranges (as cidrset's clusterSubnetMaxDiff)."""


def cluster_cidr_errors(cluster_cidr: str, mask: int) -> list[FieldError]:
    """What is wrong with --cluster-cidr and --node-cidr-mask-size, each error naming its flag."""
    try:
        net = ipaddress.ip_network(cluster_cidr, strict=True)
    except ValueError as e:
        return [fielderrors.invalid("--cluster-cidr", cluster_cidr, str(e))]
    if net.version != 4:
        return [fielderrors.invalid("--cluster-cidr", cluster_cidr, "only IPv4 is supported")]
    if not net.prefixlen <= mask <= 30:
        return [fielderrors.invalid("--node-cidr-mask-size", mask,
                                    f"must be between the cluster CIDR's /{net.prefixlen} and /30")]
    if mask - net.prefixlen > MAX_BLOCKS_BITS:
        return [fielderrors.invalid("--node-cidr-mask-size", mask, f"the mask size for nodes must be at most "
                                    f"{MAX_BLOCKS_BITS} bits longer than the cluster CIDR's /{net.prefixlen}")]
    return []


def check_cluster_cidr(cluster_cidr: str, mask: int) -> ipaddress.IPv4Network:
    """The parsed range; ValueError with what is wrong (`cluster_cidr_errors`)."""
    errors = cluster_cidr_errors(cluster_cidr, mask)
    if errors:
        raise ValueError(fielderrors.aggregate_message(errors))
    return ipaddress.ip_network(cluster_cidr)


def next_free(cluster: ipaddress.IPv4Network, mask: int, used: Iterable[str]) -> str | None:
    """The lowest /mask block of cluster that overlaps nothing in used; None when every one is taken."""
    taken = []
    for cidr in used:
        try:
            taken.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    taken = [t for t in taken if t.version == 4 and t.overlaps(cluster)]
    for block in cluster.subnets(new_prefix=mask):
        if not any(block.overlaps(t) for t in taken):
            return str(block)
    return None
