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
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from kubelab.cluster.state import write_atomic
from kubelab.network import DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, NODE_CIDR_MASK

__all__ = ["NETWORKS_ENV", "AddressRanges", "RangeError", "candidate", "check_ranges", "claim_ranges",
           "release_ranges", "table_path"]

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
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            table = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            table = {}  # a damaged table only costs the reuse of ranges of live clusters until their next up
        live = {k: v for k, v in table.items() if (Path(k) / "cluster.json").is_file()}
        yield live
        write_atomic(path, json.dumps(live, indent=2, sort_keys=True) + "\n")


def _overlapping(ranges: AddressRanges, others: dict[str, dict]) -> str | None:
    mine = ranges.networks()
    for state_dir, theirs in others.items():
        nets = AddressRanges(theirs["pods"], theirs["services"]).networks()
        if any(a.overlaps(b) for a in mine for b in nets):
            return state_dir
    return None


def claim_ranges(state_dir: Path, wanted: AddressRanges | None = None, path: Path | None = None) -> AddressRanges:
    """The cluster's ranges: `wanted` (requested or recorded) unless another cluster's overlap them (then
    RangeError), else the first free candidate."""
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
            i = 0
            while _overlapping(choice := candidate(i), others) is not None:
                i += 1  # IndexError once all are taken: hundreds of clusters
        table[me] = {"pods": choice.pods, "services": choice.services}
    return choice


def release_ranges(state_dir: Path, path: Path | None = None) -> None:
    """Forget the state dir's claim (after `down --purge`)."""
    me = str(Path(state_dir).absolute())
    with _locked_table(path or table_path()) as table:
        table.pop(me, None)
