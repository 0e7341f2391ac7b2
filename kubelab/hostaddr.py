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
    """Put address/32 on lo under the cluster's label; idempotent. An address another cluster holds (another
    label) is left alone: HostAddressError, so that one cluster never takes over, or later removes, another's."""
    mine = label(cluster_id)
    holder = _labels().get(address)
    if holder == mine:
        return
    if holder is not None:
        raise HostAddressError(f"{address} is already on {DEVICE} with label {holder} (another cluster's)")
    _ip("addr", "add", f"{address}/32", "dev", DEVICE, "label", mine)


def remove_address(address: str, cluster_id: str) -> bool:
    """Remove address if it is on lo under the cluster's label; True if it was there."""
    if address not in cluster_addresses(cluster_id):
        return False
    _ip("addr", "del", f"{address}/32", "dev", DEVICE)
    return True


def _labels() -> dict[str, str]:
    """{address: label} of the IPv4 addresses on lo."""
    links = json.loads(_ip("-j", "-4", "addr", "show", "dev", DEVICE) or "[]")
    return {a["local"]: a.get("label", DEVICE) for link in links for a in link.get("addr_info", [])}


def cluster_addresses(cluster_id: str) -> list[str]:
    """The IPv4 addresses on lo labelled for this cluster."""
    want = label(cluster_id)
    return [address for address, lab in _labels().items() if lab == want]


def remove_cluster_addresses(cluster_id: str) -> list[str]:
    """Remove every address of the cluster (what `kubelab down` does); the ones removed."""
    gone = []
    for address in cluster_addresses(cluster_id):
        _ip("addr", "del", f"{address}/32", "dev", DEVICE)
        gone.append(address)
    return gone
