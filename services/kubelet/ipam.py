"""Pod IPs from the node's podCIDR (host-local IPAM, as the CNI bridge plugin's): each pod's address goes
on the eth0 of its own network namespace (podnetwork.py).

The network address, the broadcast address and `.1` (the gateway on the node's bridge: the node's own
address, its InternalIP and the pods' hostIP) are never handed out. Addresses go round-robin, as
host-local hands them out (`allocator.go`: the search starts after the last reserved address): a pod
deleted and recreated gets a new address, which is why the StatefulSet tutorial tells you to use names,
never IPs. Allocations are remembered in the pod records on disk, so a restarted kubelet rebuilds this
table with `reserve` and keeps every pod's address (it then goes on after the highest one). Pure.
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
        self._last: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
        """The last address handed out (host-local's last_reserved_ip)."""

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
        self._last = max(self._last, addr) if self._last is not None else addr
        return True

    def allocate(self, owner: str) -> str:
        """The owner's address, or the first free one after the last handed out (wrapping around)."""
        if owner in self._by_owner:
            return self._by_owner[owner]
        hosts = list(self.network.hosts())
        start = next((i + 1 for i, addr in enumerate(hosts) if addr == self._last), 0)
        for addr in hosts[start:] + hosts[:start]:
            ip = str(addr)
            if ip != self.node_ip and ip not in self._owner_of:
                self._by_owner[owner], self._owner_of[ip] = ip, owner
                self._last = addr
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
