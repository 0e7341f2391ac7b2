"""Names outside the cluster zone go to the host's resolvers: kubeadm's Corefile `forward . /etc/resolv.conf`
(CoreDNS `plugin/forward`), with a short total timeout so that no query is left hanging.

The nameservers are read once, at start; the server's own address is skipped (CoreDNS's `loop` plugin
exists because forwarding to oneself loops). Each query tries them in order, sharing `timeout` seconds
between them; when none answers in time the answer is SERVFAIL. At most `max_concurrent` forwarded queries
are in flight (`max_concurrent 1000`); beyond that the answer is REFUSED, as the forward plugin answers.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode

__all__ = ["Upstream", "Forwarder", "read_resolv_conf", "parse_upstream"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_upstream(text: str) -> Upstream:
    """`HOST:PORT`, `HOST` (port 53) or `[V6]:PORT`."""
    host, sep, port = text.rpartition(":")
    if not sep or ":" in host and not host.startswith("["):
        return Upstream(text.strip("[]"))
    return Upstream(host.strip("[]"), int(port))


def read_resolv_conf(path: str = "/etc/resolv.conf") -> list[Upstream]:
    """The `nameserver` lines of a resolv.conf, in order ([] if it cannot be read)."""
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        log.warning("cannot read resolv.conf path=%s error=%s", path, e)
        return []
    out = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            out.append(Upstream(fields[1].split("%")[0]))
    return out


class Forwarder:
    def __init__(self, upstreams: list[Upstream], timeout: float = 2.0, max_concurrent: int = 1000,
                 metrics=None):
        self.upstreams, self.timeout, self.max_concurrent = list(upstreams), timeout, max_concurrent
        self.own: set[Upstream] = set()
        """Where this server listens: never forwarded to (it would loop)."""
        self.in_flight = 0
        self.metrics = metrics

    def targets(self) -> list[Upstream]:
        return [u for u in self.upstreams if u not in self.own]

    async def resolve(self, query: dns.message.Message, tcp: bool = False) -> dns.message.Message:
        """The upstream's response, or SERVFAIL/REFUSED made here; never raises, never waits past timeout."""
        if self.in_flight >= self.max_concurrent:
            return _error(query, dns.rcode.REFUSED)
        self.in_flight += 1
        try:
            response = await self._ask(query, tcp)
        finally:
            self.in_flight -= 1
        return response if response is not None else _error(query, dns.rcode.SERVFAIL)

    async def _ask(self, query: dns.message.Message, tcp: bool) -> dns.message.Message | None:
        targets = self.targets()
        deadline = time.monotonic() + self.timeout
        for i, up in enumerate(targets):
            budget = (deadline - time.monotonic()) / (len(targets) - i)
            if budget <= 0:
                break
            started = time.monotonic()
            try:
                ask = dns.asyncquery.tcp if tcp else dns.asyncquery.udp
                response = await ask(query, up.host, timeout=budget, port=up.port)
            except (dns.exception.DNSException, OSError, ValueError) as e:
                log.info("upstream failed upstream=%s name=%s error=%s", up, query.question[0].name,
                         type(e).__name__ if isinstance(e, dns.exception.Timeout) else e)
                self._observe(up, "error", started)
                continue
            self._observe(up, dns.rcode.to_text(response.rcode()), started)
            return response
        if not targets:
            log.warning("no upstream resolver to forward to name=%s", query.question[0].name)
        return None

    def _observe(self, up: Upstream, rcode: str, started: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_forward(str(up), rcode, time.monotonic() - started)


def _error(query: dns.message.Message, rcode: int) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    return response
