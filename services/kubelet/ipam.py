"""Pod IPs from the node's podCIDR (host-local IPAM, as the CNI bridge plugin's): each pod's address goes
on the eth0 of its own network namespace (podnetwork.py).

The network address, the broadcast address and `.1` (the gateway on the node's bridge: the node's own
address, its InternalIP and the pods' hostIP) are never handed out. Allocations are remembered in the pod records on disk, so a
restarted kubelet rebuilds this table with `reserve` and keeps every pod's address. Pure.
"""
from __future__ import annotations

import ipaddress

__all__ = ["Ipam", "PoolExhausted"]


class PoolExhausted(Exception):
    """Every address of the pod CIDR is in use."""


class Ipam:
    def __init__(self, cidr: str):
        self.network = ipaddress.ip_network(cidr, strict=False)
        self.node_ip = str(self.network.network_address + 1)
        self._by_owner: dict[str, str] = {}
        self._owner_of: dict[str, str] = {}

    def reserve(self, owner: str, ip: str) -> bool:
        """Take a known address (from a pod record); False if it is not ours to give or already taken."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if addr not in self.network or ip == self.node_ip or self._owner_of.get(ip, owner) != owner:
            return False
        self.release(owner)
        self._by_owner[owner], self._owner_of[ip] = ip, owner
        return True

    def allocate(self, owner: str) -> str:
        """The owner's address, or the lowest free one."""
        if owner in self._by_owner:
            return self._by_owner[owner]
        for addr in self.network.hosts():
            ip = str(addr)
            if ip != self.node_ip and ip not in self._owner_of:
                self._by_owner[owner], self._owner_of[ip] = ip, owner
                return ip
        raise PoolExhausted(f"no free address in pod CIDR {self.network} ({len(self._owner_of)} pods)")

    def release(self, owner: str) -> None:
        ip = self._by_owner.pop(owner, None)
        if ip is not None:
            self._owner_of.pop(ip, None)

    def get(self, owner: str) -> str | None:
        return self._by_owner.get(owner)

    def __len__(self) -> int:
        return len(self._by_owner)
