"""The DNS server's Prometheus metrics, named as CoreDNS exports them (`plugin/metrics`,
`plugin/forward/metrics.go`), on the process's `--metrics-listen` beside the runtime's own:

- `coredns_dns_requests_total{proto,family,type}`
- `coredns_dns_responses_total{rcode,plugin}` (plugin: kubernetes for answers from the cluster's
  records, forward for upstream answers)
- `coredns_dns_request_duration_seconds{type}` (histogram, CoreDNS's buckets: 0.25 ms doubling to 8 s)
- `coredns_forward_requests_total{to}`, `coredns_forward_responses_total{to,rcode}`,
  `coredns_forward_request_duration_seconds{to,rcode}`
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["DnsMetrics", "type_label"]

_TYPES = {"A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "AXFR", "IXFR", "ANY", "HTTPS", "SVCB"}
_BUCKETS = tuple(0.00025 * 2 ** i for i in range(16))


def type_label(qtype: str) -> str:
    """CoreDNS keeps the label set small: known types by name, the rest as "other"."""
    return qtype if qtype in _TYPES else "other"


class DnsMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.requests = Counter("coredns_dns_requests", "DNS queries received.", ["proto", "family", "type"],
                                registry=registry)
        self.responses = Counter("coredns_dns_responses", "DNS responses sent, per rcode.", ["rcode", "plugin"],
                                 registry=registry)
        self.duration = Histogram("coredns_dns_request_duration_seconds", "Time from query to response.",
                                  ["type"], buckets=_BUCKETS, registry=registry)
        self.forwards = Counter("coredns_forward_requests", "Queries forwarded upstream.", ["to"],
                                registry=registry)
        self.forward_responses = Counter("coredns_forward_responses", "Upstream answers (rcode, or error).",
                                         ["to", "rcode"], registry=registry)
        self.forward_duration = Histogram("coredns_forward_request_duration_seconds", "Time per upstream query.",
                                          ["to", "rcode"], buckets=_BUCKETS, registry=registry)

    def observe(self, proto: str, family: str, qtype: str, rcode: str, plugin: str, seconds: float) -> None:
        label = type_label(qtype)
        self.requests.labels(proto, family, label).inc()
        self.responses.labels(rcode, plugin).inc()
        self.duration.labels(label).observe(seconds)

    def observe_forward(self, to: str, rcode: str, seconds: float) -> None:
        self.forwards.labels(to).inc()
        self.forward_responses.labels(to, rcode).inc()
        self.forward_duration.labels(to, rcode).observe(seconds)
