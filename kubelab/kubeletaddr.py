"""Where a node's kubelet serves logs and exec (the API server's and kubectl's way to it): the Node's
InternalIP and status.daemonEndpoints.kubeletEndpoint.Port."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2

__all__ = ["kubelet_address"]


def kubelet_address(node: core_pb2.Node) -> str:
    """HOST:PORT of the node's kubelet service; "" when the node does not report it."""
    port = node.status.daemon_endpoints.kubelet_endpoint.port
    address = next((a.address for a in node.status.addresses if a.type == "InternalIP"), "")
    return f"{address}:{port}" if port and address else ""
