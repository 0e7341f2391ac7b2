"""The node IPAM controller's range allocator (k/k `pkg/controller/nodeipam`, `--allocate-node-cidrs`):
gives every Node without `spec.podCIDR` a block of `--cluster-cidr` (spec.podCIDR and spec.podCIDRs),
which the node's kubelet builds its pod network from. Keys: Node names. The decision is
`node_ipam_decisions.next_free`; blocks handed out but not yet in the cache are remembered, so two nodes
never get the same one. When none is left: the Node event `CIDRNotAvailable`, as upstream.
"""
from __future__ import annotations

import logging

from kubelab.controller import Result
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.events import NORMAL
from kubelab.informer import InformerFactory
from services.lifecycle.node_ipam_decisions import check_cluster_cidr, next_free

__all__ = ["NodeIpam"]

log = logging.getLogger(__name__)

NO_CIDR_RETRY = 30.0


class NodeIpam:
    def __init__(self, client, informers: InformerFactory, events, *, cluster_cidr: str, mask: int = 24):
        self.client, self.events = client, events
        self.cluster, self.mask = check_cluster_cidr(cluster_cidr, mask), mask
        self.nodes = informers.informer("Node")
        self.pending: dict[str, str] = {}
        """Node name -> the block written to it that the cache may not show yet."""

    async def reconcile(self, name: str) -> Result | None:
        node = self.nodes.get(name)
        if node is None:
            self.pending.pop(name, None)  # a deleted node's block is free again
            return None
        if node.spec.pod_cidr:
            self.pending.pop(name, None)
            return None
        others = {n.metadata.name: n.spec.pod_cidr for n in self.nodes.list() if n.spec.pod_cidr}
        others.update({n: c for n, c in self.pending.items() if n != name and n not in others})
        cidr = next_free(self.cluster, self.mask, others.values())
        if cidr is None:
            log.warning("no pod CIDR left node=%s cluster_cidr=%s", name, self.cluster)
            self.events.event(node, NORMAL, "CIDRNotAvailable", f"Node {name} status is now: CIDRNotAvailable")
            return Result(requeue_after=NO_CIDR_RETRY)  # a node deleted meanwhile frees one
        node.spec.pod_cidr = cidr
        node.spec.pod_cidrs[:] = [cidr]
        self.pending[name] = cidr
        try:
            await self.client.update(node)
        except ApiError as e:
            if not (is_conflict(e) or is_not_found(e)):
                raise
            return Result(requeue=True)
        log.info("set node pod CIDR node=%s pod_cidr=%s", name, cidr)
        return None
