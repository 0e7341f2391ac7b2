"""The ClusterIP and NodePort ranges and the order in which a free value is looked for (pure; no storage).

Mirrors k/k `pkg/registry/core/service/ipallocator` and `portallocator` with KEP-3070's
reserved band: a range of `size` allocatable addresses (network and broadcast addresses excluded) is
split at `offset = min(max(16, size/16), 256)` (0 when size <= 16). Dynamic allocation starts at a
random address of the upper band `[offset, size)` and scans forward with wrap-around; only when the
upper band is full does it scan the lower band `[0, offset)` from a random start. The lower band is
thus left for static addresses: index 1 (`kubernetes`) and index 10 (`kube-dns`).

NodePorts work the same way over `--service-node-port-range` with a static band of
`min(max(16, size/32), 128)` ports (86 for 30000-32767). Which values are taken lives in Redis (see
`store.py`); this module only answers "is this value in the range" and "in which order should
candidates be tried".
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Iterator

__all__ = ["ServiceRange", "PortRange", "ErrNotInRange", "ERR_ALLOCATED", "ERR_PORT_ALLOCATED", "ERR_FULL",
           "range_offset", "port_range_offset", "scan"]

ERR_ALLOCATED = "provided IP is already allocated"
ERR_PORT_ALLOCATED = "provided port is already allocated"
ERR_FULL = "range is full"


class ErrNotInRange(ValueError):
    pass


def range_offset(size: int) -> int:
    """ipallocator's calculateRangeOffset: the size of the band kept for static addresses."""
    if size < 16:
        return 0
    return min(max(16, size // 16), 256)


def port_range_offset(size: int) -> int:
    """portallocator's calculateRangeOffset: min(max(16, size/32), 128); 86 for 30000-32767."""
    if size < 16:
        return 0
    return min(max(16, size // 32), 128)


def scan(size: int, offset: int, rng: random.Random) -> Iterator[int]:
    """randomScanStrategyWithOffset: every index once, the upper band [offset, size) first from a random
    start with wrap-around, then the lower band [0, offset) the same way."""
    for lo, hi in ((offset, size), (0, offset)):
        count = hi - lo
        start = rng.randrange(count) if count > 0 else 0
        for i in range(count):
            yield lo + (start + i) % count


@dataclass(frozen=True)
class ServiceRange:
    """`--service-cluster-ip-range`: the addresses a Service may be given."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    @classmethod
    def parse(cls, cidr: str) -> "ServiceRange":
        net = ipaddress.ip_network(cidr, strict=False)
        if net.num_addresses < 4:
            raise ValueError(f"service IP range {net} is too small: it leaves no allocatable address")
        return cls(net)

    @property
    def family(self) -> str:
        return "IPv4" if self.network.version == 4 else "IPv6"

    @property
    def size(self) -> int:
        """Allocatable addresses: the network address is never used, nor (IPv4) the broadcast address;
        IPv6 ranges are capped at 2^16 as upstream's bitmap is."""
        if self.network.version == 4:
            return self.network.num_addresses - 2
        return min(self.network.num_addresses - 1, 1 << 16)

    @property
    def offset(self) -> int:
        return range_offset(self.size)

    def address(self, index: int) -> str:
        """The address at bitmap index `index` (index 0 is network + 1)."""
        return str(self.network.network_address + 1 + index)

    def index_of(self, ip: str) -> int:
        """The bitmap index of `ip`; ErrNotInRange when the range cannot hand it out."""
        addr = ipaddress.ip_address(ip)
        index = int(addr) - int(self.network.network_address) - 1 if addr.version == self.network.version else -1
        if addr not in self.network or not 0 <= index < self.size:
            raise ErrNotInRange(f"provided IP {ip} is not in the valid range")
        return index

    def candidates(self, rng: random.Random | None = None) -> Iterator[str]:
        """Every allocatable address once, in randomScanStrategyWithOffset's order."""
        return (self.address(i) for i in scan(self.size, self.offset, rng or random.Random()))


@dataclass(frozen=True)
class PortRange:
    """`--service-node-port-range` (default 30000-32767, as kube-apiserver's)."""

    base: int = 30000
    size: int = 2768

    @classmethod
    def parse(cls, text: str) -> "PortRange":
        lo, sep, hi = text.partition("-")
        first, last = int(lo), int(hi) if sep else int(lo)
        if not 0 < first <= last <= 65535:
            raise ValueError(f"invalid port range {text!r}")
        return cls(first, last - first + 1)

    def __str__(self) -> str:
        return f"{self.base}-{self.base + self.size - 1}"

    def check(self, port: int) -> None:
        if not self.base <= port < self.base + self.size:
            raise ErrNotInRange(f"provided port is not in the valid range. The range of valid ports is {self}")

    def candidates(self, rng: random.Random | None = None) -> Iterator[int]:
        return (self.base + i for i in scan(self.size, port_range_offset(self.size), rng or random.Random()))
