"""The nftables ruleset of one cluster's Services: kubernetes/kubernetes pkg/proxy/nftables/proxier.go.

Same table layout as kube-proxy's `table ip kube-proxy`, under the cluster's own name, limited to
ClusterIPs (no NodePorts, external IPs or load balancers in kubelab):

- base chains `nat-prerouting` (traffic routed in from the pods' bridges) and `nat-output` (the host's
  own, e.g. a student's curl) at priority dstnat jump to `services`, which looks up
  `ip daddr . meta l4proto . th dport` in the verdict map `service-ips`;
- `service-<hash>-<ns>/<name>/<proto>/<port>` picks an endpoint: first the ClientIP affinity sets, then
  `numgen random mod N vmap { 0 : goto endpoint-..., ... }`, a uniform choice per new connection;
- `endpoint-<hash>-<...>__<ip>/<port>` marks hairpin traffic (the endpoint reaching itself through its
  Service) for masquerade, records the client in its affinity set (`update @affinity-... { ip saddr }`,
  a set with a timeout: the stickiness window) and DNATs to ip:port;
- `filter-*` chains reject new connections to a ClusterIP:port with no usable endpoints
  (`no-endpoint-services` -> `reject-chain`: ICMP port-unreachable, ECONNREFUSED) and to ports a Service
  does not define (`cluster-ips-check`), and drop what goes to an unallocated address of the service
  range (so it never leaves the machine by the default route);
- `nat-postrouting` -> `masquerading` masquerades what was marked.

`render` is a pure function of the desired state and of what the kernel holds now (to delete what is no
longer wanted); the proxier applies its text with one `nft -f` transaction, so a sync is atomic.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from kubelab.nft import FAMILY
from services.proxy.endpoints import Endpoint
from services.proxy.serviceports import ServicePort

__all__ = ["PortState", "Existing", "render", "existing_from_json", "service_chain", "endpoint_chain",
           "affinity_set"]

MASQ_MARK = "0x4000"  # kube-proxy's --masquerade-bit 14

BASE_CHAINS = {
    "filter-forward": "type filter hook forward priority -110 ;",
    "filter-input": "type filter hook input priority -110 ;",
    "filter-output": "type filter hook output priority -110 ;",
    "filter-output-post-dnat": "type filter hook output priority -90 ;",
    "nat-output": "type nat hook output priority -100 ;",
    "nat-postrouting": "type nat hook postrouting priority 100 ;",
    "nat-prerouting": "type nat hook prerouting priority -100 ;",
}
HELPER_CHAINS = ["cluster-ips-check", "mark-for-masquerade", "masquerading", "reject-chain", "services",
                 "service-endpoints-check"]
STATIC_RULES = [
    ("cluster-ips-check", 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"'),
    ("filter-forward", "ct state new jump service-endpoints-check"),
    ("filter-forward", "ct state new jump cluster-ips-check"),
    ("filter-input", "ct state new jump service-endpoints-check"),
    ("filter-output", "ct state new jump service-endpoints-check"),
    ("filter-output-post-dnat", "ct state new jump cluster-ips-check"),
    ("mark-for-masquerade", f"mark set mark or {MASQ_MARK}"),
    ("masquerading", f"mark and {MASQ_MARK} == 0 return"),
    ("masquerading", f"mark set mark xor {MASQ_MARK}"),
    ("masquerading", "masquerade fully-random"),
    ("nat-output", "jump services"),
    ("nat-postrouting", "jump masquerading"),
    ("nat-prerouting", "jump services"),
    ("reject-chain", "reject"),
    ("services", "ip daddr . meta l4proto . th dport vmap @service-ips"),
    ("service-endpoints-check", "ip daddr . meta l4proto . th dport vmap @no-endpoint-services"),
]
STATIC_SETS = {  # name: (set or map, its type and comment)
    "cluster-ips": ("set", 'type ipv4_addr ; comment "Active ClusterIPs" ;'),
    "no-endpoint-services": ("map", 'type ipv4_addr . inet_proto . inet_service : verdict ; '
                                    'comment "vmap to drop or reject packets to services with no endpoints" ;'),
    "service-ips": ("map", 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP traffic" ;'),
}


@dataclass(frozen=True)
class PortState:
    """One Service port and what CategorizeEndpoints made of its endpoints."""

    port: ServicePort
    endpoints: tuple[Endpoint, ...]
    has_any: bool


@dataclass
class Existing:
    """What the kernel's table holds now: chain names and {set name: timeout seconds}."""

    chains: set[str] = field(default_factory=set)
    sets: dict[str, int] = field(default_factory=dict)


def existing_from_json(items: list[dict]) -> Existing:
    """Existing from `nft -j list table` output (kubelab.nft.list_table)."""
    out = Existing()
    for item in items:
        if "chain" in item:
            out.chains.add(item["chain"]["name"])
        elif "set" in item:
            out.sets[item["set"]["name"]] = int(item["set"].get("timeout", 0))
    return out


def _hash(name: str) -> str:
    """kube-proxy's hashAndTruncate prefix: base32 of sha256, 8 characters."""
    return base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:8]


def _base(port: ServicePort) -> str:
    n = port.name
    return f"{n.namespace}/{n.name}/{port.protocol.lower()}/{n.port}"


def service_chain(port: ServicePort) -> str:
    base = _base(port)
    return f"service-{_hash(base)}-{base}"


def _endpoint_base(port: ServicePort, ep: Endpoint) -> str:
    base = f"{_base(port)}__{ep.ip}/{ep.port}"
    return f"{_hash(base)}-{base}"


def endpoint_chain(port: ServicePort, ep: Endpoint) -> str:
    return f"endpoint-{_endpoint_base(port, ep)}"


def affinity_set(port: ServicePort, ep: Endpoint) -> str:
    return f"affinity-{_endpoint_base(port, ep)}"


class _Ruleset:
    """The lines of one transaction, in the order the kernel needs them."""

    def __init__(self, table: str):
        self.prefix = f"{FAMILY} {table}"
        self.chains: list[str] = []
        self.sets: dict[str, int] = {}
        self.rules: list[str] = []
        self.elements: list[str] = []

    def chain(self, name: str) -> str:
        self.chains.append(name)
        return name

    def rule(self, chain: str, text: str) -> None:
        self.rules.append(f"add rule {self.prefix} {chain} {text}")

    def element(self, setname: str, text: str) -> None:
        self.elements.append(f"add element {self.prefix} {setname} {{ {text} }}")


def _write_port(rs: _Ruleset, st: PortState, cluster_cidr: str) -> None:
    port, proto = st.port, st.port.protocol.lower()
    key = f"{port.cluster_ip} . {proto} . {port.port}"
    rs.element("cluster-ips", port.cluster_ip)
    if not st.endpoints:
        # kube-proxy: REJECT when the Service has no usable endpoints; DROP when only non-local ones exist.
        verdict = "drop" if st.has_any else "goto reject-chain"
        rs.element("no-endpoint-services", f'{key} comment "{port.name}" : {verdict}')
        return
    svc = rs.chain(service_chain(port))
    if cluster_cidr:  # traffic not from a pod (the host's own) is masqueraded, as with --cluster-cidr
        rs.rule(svc, f"ip daddr {port.cluster_ip} ip saddr != {cluster_cidr} jump mark-for-masquerade")
    targets = [(ep, rs.chain(endpoint_chain(port, ep))) for ep in st.endpoints]
    if port.affinity_timeout:
        for ep, chain in targets:
            rs.sets[affinity_set(port, ep)] = port.affinity_timeout
            rs.rule(svc, f"ip saddr @{affinity_set(port, ep)} goto {chain}")
    vmap = " , ".join(f"{i} : goto {chain}" for i, (_, chain) in enumerate(targets))
    rs.rule(svc, f"numgen random mod {len(targets)} vmap {{ {vmap} }}")
    for ep, chain in targets:
        rs.rule(chain, f"ip saddr {ep.ip} jump mark-for-masquerade")
        if port.affinity_timeout:
            rs.rule(chain, f"update @{affinity_set(port, ep)} {{ ip saddr }}")
        rs.rule(chain, f"meta l4proto {proto} dnat to {ep.ip}:{ep.port}")
    rs.element("service-ips", f"{key} : goto {svc}")


def render(table: str, ports: list[PortState], existing: Existing, cluster_cidr: str = "",
           service_cidr: str = "") -> str:
    """One `nft -f` transaction that makes `table` hold exactly the rules for `ports`.

    A full sync, as kube-proxy does one: every chain and map is flushed and rewritten, chains and sets no
    longer wanted are deleted. Affinity sets that stay are not flushed, so stickiness survives syncs.
    """
    rs = _Ruleset(table)
    for st in sorted(ports, key=lambda s: (s.port.name, s.port.protocol)):
        _write_port(rs, st, cluster_cidr)
    p = rs.prefix
    lines = [f'add table {p} {{ comment "rules for kubelab kube-proxy" ; }}']
    for name, (kind, spec) in STATIC_SETS.items():
        lines += [f"add {kind} {p} {name} {{ {spec} }}", f"flush {kind} {p} {name}"]
    wanted = list(BASE_CHAINS) + HELPER_CHAINS + rs.chains
    for name in BASE_CHAINS:
        lines.append(f"add chain {p} {name} {{ {BASE_CHAINS[name]} }}")
    lines += [f"add chain {p} {name}" for name in HELPER_CHAINS + rs.chains]
    lines += [f"flush chain {p} {name}" for name in sorted(set(wanted) | existing.chains)]
    lines += [f"delete chain {p} {name}" for name in sorted(existing.chains - set(wanted))]
    for name, timeout in sorted(existing.sets.items()):
        if name not in STATIC_SETS and rs.sets.get(name) != timeout:
            lines.append(f"delete set {p} {name}")
    lines += [f"add set {p} {name} {{ type ipv4_addr ; flags dynamic,timeout ; timeout {timeout}s ; }}"
              for name, timeout in sorted(rs.sets.items())]
    lines += [f"add rule {p} {chain} {text}" for chain, text in STATIC_RULES]
    if service_cidr:  # addresses on the host itself (the DNS server's kube-dns ClusterIP) stay reachable
        lines.append(f"add rule {p} cluster-ips-check ip daddr {{ {service_cidr} }} fib daddr type != local "
                     'drop comment "Drop traffic to unallocated ClusterIPs"')
    return "\n".join(lines + rs.rules + rs.elements) + "\n"
