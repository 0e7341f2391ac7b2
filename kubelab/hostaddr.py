"""Service addresses a cluster puts on this host (the cluster DNS server's `kube-dns` ClusterIP), with
`ip` from iproute2.

An address is added as a /32 on `lo` with the label `lo:kl<cluster id>`: traffic to it from the host and
from pods routed in through the node bridges is delivered locally (a non-127 address on `lo` is an
ordinary local address), and the label says whose it is, so that `kubelab down` (and the DNS server on
SIGTERM) remove exactly that cluster's addresses and nothing else. (A dummy link per cluster would say the
same, but the dummy link type is not available on every kernel: this one lacks it.)
"""
from __future__ import annotations

import json
import shutil
import subprocess

__all__ = ["HostAddressError", "label", "add_address", "remove_address", "cluster_addresses",
           "remove_cluster_addresses"]

DEVICE = "lo"


class HostAddressError(RuntimeError):
    """`ip` is missing or refused (adding addresses needs root, or CAP_NET_ADMIN)."""


def label(cluster_id: str) -> str:
    """`lo:kl<id>`; Linux allows 15 characters, so the id may have at most 10."""
    text = f"{DEVICE}:kl{cluster_id}"
    if len(text) > 15:
        raise ValueError(f"cluster id {cluster_id!r} is too long for an address label (at most 10 characters)")
    return text


def _ip(*args: str) -> str:
    ip = shutil.which("ip")
    if ip is None:
        raise HostAddressError("`ip` (iproute2) not found: run scripts/install-system-packages")
    try:
        result = subprocess.run([ip, *args], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise HostAddressError(f"ip {' '.join(args)}: no answer in 30 s") from None
    if result.returncode != 0:
        raise HostAddressError(f"ip {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout


def add_address(address: str, cluster_id: str) -> None:
    """Put address/32 on lo under the cluster's label; idempotent (`ip addr replace`)."""
    _ip("addr", "replace", f"{address}/32", "dev", DEVICE, "label", label(cluster_id))


def remove_address(address: str, cluster_id: str) -> bool:
    """Remove address if it is on lo under the cluster's label; True if it was there."""
    if address not in cluster_addresses(cluster_id):
        return False
    _ip("addr", "del", f"{address}/32", "dev", DEVICE)
    return True


def cluster_addresses(cluster_id: str) -> list[str]:
    """The IPv4 addresses on lo labelled for this cluster."""
    want = label(cluster_id)
    links = json.loads(_ip("-j", "-4", "addr", "show", "dev", DEVICE) or "[]")
    return [a["local"] for link in links for a in link.get("addr_info", []) if a.get("label") == want]


def remove_cluster_addresses(cluster_id: str) -> list[str]:
    """Remove every address of the cluster (what `kubelab down` does); the ones removed."""
    gone = []
    for address in cluster_addresses(cluster_id):
        _ip("addr", "del", f"{address}/32", "dev", DEVICE)
        gone.append(address)
    return gone
