"""Address ranges of the local clusters on this machine, so that two clusters' pods and Services never
share an address (their bridges and routes live in the one host network namespace).

The first cluster gets the defaults of kubelab.network: pods `198.18.0.0/16`, Services `198.19.0.0/16`
(RFC 2544's benchmarking range, never a real network). While they are taken, a further cluster gets a
pair of /20s from RFC 6598's shared address space `100.64.0.0/10` (never routed on the Internet; a
carrier's or a VPN's such as Tailscale's may use it, so `--pod-cidr`/`--service-cidr` are there to choose
others): pods `100.64.0.0/20` and Services `100.64.16.0/20`, then `100.64.32.0/20` and `100.64.48.0/20`,
... (a /20 of pods is 16 nodes' /24s). Each `up` claims its ranges for its state dir in a machine-wide
table (a small JSON file under a lock): the recorded or requested ones if no other cluster's overlap
them, else the first free candidate. Entries of state dirs that no longer exist (purged) are dropped.
An automatic choice also skips ranges that a route of this host already covers (a bridge left by a
cluster that was not taken down, a VPN's or a LAN's network): two bridges holding one /24 make the
kernel send a pod's packets to whichever route it finds first, and the other pods stop answering.

Tests that put Service or pod addresses on this host without a cluster (kube-proxy's and the DNS server's
integration tests) hold ranges from the same table for their process (`held_ranges`): a cluster started
beside them (or another test worker) then never routes, drops or answers their addresses. Such an entry
is dropped once its process has exited, however it ended.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from kubelab.cluster.state import locked_json
from kubelab.network import DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, NODE_CIDR_MASK

__all__ = ["NETWORKS_ENV", "AddressRanges", "RangeError", "candidate", "check_ranges", "claim_ranges",
           "held_ranges", "host_routes", "release_ranges", "table_path"]

NETWORKS_ENV = "KUBELAB_NETWORKS_FILE"
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")
EXTRA_PREFIX = 20
MAX_PREFIX_LEN = 12  # as kube-apiserver's service range (and our veth names) allow


class RangeError(ValueError):
    """A requested range is malformed or overlaps another cluster's."""


@dataclass(frozen=True)
class AddressRanges:
    pods: str
    services: str

    def networks(self) -> list[ipaddress.IPv4Network]:
        return [ipaddress.ip_network(self.pods), ipaddress.ip_network(self.services)]


def table_path() -> Path:
    """The machine-wide table: env KUBELAB_NETWORKS_FILE, else one per user in the temp dir."""
    return Path(os.environ.get(NETWORKS_ENV)
                or Path(tempfile.gettempdir()) / f"kubelab-{os.getuid()}" / "address-ranges.json")


def candidate(i: int) -> AddressRanges:
    """The i-th automatic choice: 0 is the defaults, then /20 pairs of 100.64.0.0/10."""
    if i == 0:
        return AddressRanges(DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR)
    size = 2 ** (32 - EXTRA_PREFIX)
    if not 0 < i <= SHARED_SPACE.num_addresses // size // 2:
        raise IndexError(f"no free address ranges left ({i - 1} clusters hold one)")
    pods = int(SHARED_SPACE.network_address) + 2 * (i - 1) * size
    return AddressRanges(str(ipaddress.ip_network((pods, EXTRA_PREFIX))),
                         str(ipaddress.ip_network((pods + size, EXTRA_PREFIX))))


def check_ranges(pods: str, services: str) -> AddressRanges:
    """Normalised ranges; RangeError naming the flag, what is wrong and what is accepted."""
    nets = []
    for flag, text, longest in (("--pod-cidr", pods, NODE_CIDR_MASK), ("--service-cidr", services, 28)):
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as e:
            raise RangeError(f"{flag} {text}: must be an IPv4 CIDR such as 198.18.0.0/16: {e}") from None
        if net.version != 4 or not MAX_PREFIX_LEN <= net.prefixlen <= longest:
            raise RangeError(f"{flag} {text}: must be an IPv4 range from /{MAX_PREFIX_LEN} to /{longest}")
        if net.is_loopback or net.is_link_local or net.is_multicast or net.is_unspecified:
            raise RangeError(f"{flag} {text}: must not be a loopback, link-local or multicast range "
                             "(Kubernetes rejects such endpoint addresses)")
        nets.append(net)
    if nets[0].overlaps(nets[1]):
        raise RangeError(f"--pod-cidr {pods} and --service-cidr {services} must not overlap")
    return AddressRanges(str(nets[0]), str(nets[1]))


@contextlib.contextmanager
def _locked_table(path: Path) -> Iterator[dict[str, dict]]:
    with locked_json(path) as table:
        for key in [k for k, v in table.items() if not _live(k, v)]:
            del table[key]
        yield table


def _live(key: str, entry: dict) -> bool:
    """A cluster's entry lives while its state dir does; a process's (held_ranges) while the process does."""
    if "pid" not in entry:
        return (Path(key) / "cluster.json").is_file()
    try:
        os.kill(entry["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    return True


def host_routes(path: str = "/proc/net/route") -> list[ipaddress.IPv4Network]:
    """The destinations of this host's IPv4 routes (main table), the default route left out."""
    nets = []
    try:
        lines = Path(path).read_text().splitlines()[1:]
    except OSError:
        return nets
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dst, mask = (int.from_bytes(bytes.fromhex(f), "little") for f in (fields[1], fields[7]))
        if mask:
            nets.append(ipaddress.ip_network((dst, bin(mask).count("1")), strict=False))
    return nets


def _first_free(others: dict[str, dict], routes: Iterable[ipaddress.IPv4Network] | None) -> AddressRanges:
    routes = host_routes() if routes is None else list(routes)
    i = 0
    while (_overlapping(choice := candidate(i), others) is not None
           or any(a.overlaps(r) for a in choice.networks() for r in routes)):
        i += 1  # IndexError once all are taken: hundreds of clusters
    return choice


def _overlapping(ranges: AddressRanges, others: dict[str, dict]) -> str | None:
    mine = ranges.networks()
    for state_dir, theirs in others.items():
        nets = AddressRanges(theirs["pods"], theirs["services"]).networks()
        if any(a.overlaps(b) for a in mine for b in nets):
            return state_dir
    return None


def claim_ranges(state_dir: Path, wanted: AddressRanges | None = None, path: Path | None = None,
                 routes: Iterable[ipaddress.IPv4Network] | None = None) -> AddressRanges:
    """The cluster's ranges: `wanted` (requested or recorded) unless another cluster's overlap them (then
    RangeError), else the first free candidate that no route in `routes` (default: this host's) covers."""
    me = str(Path(state_dir).absolute())
    with _locked_table(path or table_path()) as table:
        others = {k: v for k, v in table.items() if k != me}
        if wanted is not None:
            holder = _overlapping(wanted, others)
            if holder is not None:
                raise RangeError(f"pods {wanted.pods} or Services {wanted.services} overlap the ranges of the "
                                 f"cluster in {holder}; choose others with --pod-cidr and --service-cidr")
            choice = wanted
        else:
            choice = _first_free(others, routes)
        table[me] = {"pods": choice.pods, "services": choice.services}
    return choice


def release_ranges(state_dir: Path, path: Path | None = None) -> None:
    """Forget the state dir's claim (after `down --purge`)."""
    me = str(Path(state_dir).absolute())
    with _locked_table(path or table_path()) as table:
        table.pop(me, None)


@contextlib.contextmanager
def held_ranges(owner: str, path: Path | None = None,
                routes: Iterable[ipaddress.IPv4Network] | None = None) -> Iterator[AddressRanges]:
    """The first free pair of ranges, held for this process (under `owner`, a name for people reading the
    table) until the with block ends or the process exits."""
    key = f"{owner} (pid {os.getpid()})"
    with _locked_table(path or table_path()) as table:
        choice = _first_free({k: v for k, v in table.items() if k != key}, routes)
        table[key] = {"pods": choice.pods, "services": choice.services, "pid": os.getpid()}
    try:
        yield choice
    finally:
        with _locked_table(path or table_path()) as table:
            table.pop(key, None)
