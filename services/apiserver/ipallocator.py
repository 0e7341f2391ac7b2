"""The ClusterIP range and the order in which a free address is looked for (pure; no storage).

Mirrors k/k `pkg/registry/core/service/ipallocator` (`bitmap.go`, `interfaces.go`) with KEP-3070's
reserved band: a range of `size` allocatable addresses (network and broadcast addresses excluded) is
split at `offset = min(max(16, size/16), 256)` (0 when size <= 16). Dynamic allocation starts at a
random address of the upper band `[offset, size)` and scans forward with wrap-around; only when the
upper band is full does it scan the lower band `[0, offset)` from a random start. The lower band is
thus left for static addresses: index 1 (`kubernetes`) and index 10 (`kube-dns`).

Which addresses are taken lives in Redis (see `store.py`); this module only answers "is this address
in the range" and "in which order should candidates be tried".
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Iterator

__all__ = ["ServiceRange", "ErrNotInRange", "ERR_ALLOCATED", "ERR_FULL", "range_offset"]

ERR_ALLOCATED = "provided IP is already allocated"
ERR_FULL = "range is full"


class ErrNotInRange(ValueError):
    def __init__(self, ip: str):
        super().__init__(f"provided IP {ip} is not in the valid range")


def range_offset(size: int) -> int:
    """calculateRangeOffset: the size of the band kept for static addresses."""
    min_offset, max_offset, step = 16, 256, 16
    if size < min_offset:
        return 0
    return min(max(min_offset, size // step), max_offset)


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
        if addr.version != self.network.version or addr not in self.network:
            raise ErrNotInRange(ip)
        index = int(addr) - int(self.network.network_address) - 1
        if not 0 <= index < self.size:
            raise ErrNotInRange(ip)
        return index

    def candidates(self, rng: random.Random | None = None) -> Iterator[str]:
        """Every allocatable address once, in randomScanStrategyWithOffset's order."""
        rng = rng or random.Random()
        yield from self._band(self.offset, self.size, rng)
        yield from self._band(0, self.offset, rng)

    def _band(self, lo: int, hi: int, rng: random.Random) -> Iterator[str]:
        count = hi - lo
        if count <= 0:
            return
        start = rng.randrange(count)
        for i in range(count):
            yield self.address(lo + (start + i) % count)
