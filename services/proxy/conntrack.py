"""Stale UDP conntrack entries: kubernetes/kubernetes pkg/proxy/conntrack/cleanup.go (CleanStaleEntries).

A UDP "connection" lives in conntrack, so after DNAT every later datagram of the same flow goes to the
endpoint chosen first, even once that endpoint has left the Service: a DNS client that keeps its socket
would talk to a dead pod until the entry times out. kube-proxy therefore deletes, after each sync, the
UDP entries towards a ClusterIP:port whose DNAT target is not one of the port's endpoints any more.
TCP needs nothing: a vanished endpoint resets or times out the connection itself.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import NamedTuple

from services.proxy.nftables import PortState

__all__ = ["Flow", "parse_flows", "stale_flows", "delete_stale_udp_flows"]

_FIELDS = re.compile(r"(src|dst|sport|dport)=(\S+)")


class Flow(NamedTuple):
    """One entry: the original direction, and where the reply comes from (the DNAT target)."""

    src: str
    sport: str
    dst: str
    dport: str
    reply_src: str
    reply_sport: str


def parse_flows(listing: str) -> list[Flow]:
    """Entries of `conntrack -L -p udp` output: the original and the reply direction's addresses."""
    out = []
    for line in listing.splitlines():
        fields = _FIELDS.findall(line)
        if len(fields) >= 8:
            orig, reply = dict(fields[:4]), dict(fields[4:8])
            out.append(Flow(orig["src"], orig["sport"], orig["dst"], orig["dport"], reply["src"], reply["sport"]))
    return out


def stale_flows(flows: list[Flow], states: list[PortState]) -> list[Flow]:
    """The flows to a proxied UDP ClusterIP:port whose target is not one of that port's endpoints."""
    targets = {(s.port.cluster_ip, str(s.port.port)): {(e.ip, str(e.port)) for e in s.endpoints}
               for s in states if s.port.protocol == "UDP"}
    return [f for f in flows
            if (f.dst, f.dport) in targets and (f.reply_src, f.reply_sport) not in targets[(f.dst, f.dport)]]


def delete_stale_udp_flows(states: list[PortState]) -> int:
    """Delete the stale entries; how many (0 without the conntrack tool)."""
    exe = shutil.which("conntrack")
    if exe is None or not any(s.port.protocol == "UDP" for s in states):
        return 0
    listing = subprocess.run([exe, "-L", "-p", "udp"], capture_output=True, text=True, timeout=30).stdout
    stale = stale_flows(parse_flows(listing), states)
    for f in stale:
        subprocess.run([exe, "-D", "-p", "udp", "--orig-src", f.src, "--orig-port-src", f.sport, "--orig-dst", f.dst,
                        "--orig-port-dst", f.dport], capture_output=True, timeout=30)
    return len(stale)
