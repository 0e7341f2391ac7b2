"""The response to one query, from a Snapshot: CoreDNS's kubernetes plugin `ServeDNS` (`handler.go`) with
`plugin/backend_lookup.go` (A, SRV, PTR, TXT, CNAME, SOA, BackendError) and the `loadbalance` plugin of
kubeadm's Corefile. Pure: a query and a snapshot in, a response out.

- Names outside the cluster zone, and reverse names it has nothing for, are not answered here
  (`Answer.response` is None): the server forwards them (`fallthrough in-addr.arpa ip6.arpa`).
- A name that does not exist is NXDOMAIN (SERVFAIL while the caches have not synced); one that exists
  without records of the type asked is NOERROR with an empty answer (NODATA). Both carry the zone's SOA in
  the authority section. Answers set AA (not RA: the plugin answers, it does not recurse).
- An A/AAAA query for an ExternalName Service whose target is outside the zone returns a `Chase`: the
  server looks the target up upstream and `complete` adds what it found after the CNAME.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import lru_cache

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.reversename
import dns.rrset
from dns.rdtypes.ANY.CNAME import CNAME
from dns.rdtypes.ANY.NS import NS
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.ANY.SOA import SOA
from dns.rdtypes.ANY.TXT import TXT
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA
from dns.rdtypes.IN.SRV import SRV

from services.dns.records import Item, is_ip, records, reverse
from services.dns.request import REVERSE_ZONES, NameError_, zone_of
from services.dns.snapshot import NO_PORT, Snapshot

__all__ = ["Options", "Answer", "Chase", "answer", "complete", "DNS_SCHEMA_VERSION"]

IN = dns.rdataclass.IN
T = dns.rdatatype
DNS_SCHEMA_VERSION = "1.1.0"
VERSION_TTL = 28800
MAX_CNAME_CHAIN = 7
MEMO_MAX = 10000
"""Questions remembered per snapshot; the memo is emptied when full (random names cannot grow it)."""


@dataclass(frozen=True)
class Options:
    zone: str = "cluster.local."
    """The cluster domain, lowercased, with the final dot."""
    ttl: int = 30
    """kubeadm's Corefile: `ttl 30` (the plugin's own default is 5)."""
    ns_ips: tuple[str, ...] = ()
    """Where this server listens: the A records of `ns.dns.<zone>`."""


@dataclass(frozen=True)
class Chase:
    cname: dns.rrset.RRset
    target: str
    rdtype: int


@dataclass
class Answer:
    response: dns.message.Message | None
    """None: not ours, forward the query upstream."""
    chase: Chase | None = None


RR = tuple[dns.name.Name, int, object]


def _address_rdata(ip: str):
    return AAAA(IN, T.AAAA, ip) if ":" in ip else A(IN, T.A, ip)


@lru_cache(maxsize=4096)
def _fqdn(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


@dataclass(frozen=True)
class _Outcome:
    """What a question gets from one snapshot, before the per-query message (id, EDNS, record order)."""
    rcode: int
    zone: str | None = None
    """None: not ours, forward it."""
    answer: tuple[dns.rrset.RRset, ...] = ()
    additional: tuple[dns.rrset.RRset, ...] = ()
    authority: tuple[dns.rrset.RRset, ...] = ()
    authoritative: bool = True
    chase: Chase | None = None


def answer(query: dns.message.Message, snap: Snapshot, opts: Options = Options(),
           rng: random.Random | None = None) -> Answer:
    q = query.question[0]
    # The same question against the same snapshot has the same records: worked out once (memo), then
    # only the message around them (id, EDNS, loadbalance's order) is made per query.
    key = (q.name.to_text(), q.rdtype, opts)
    out = snap.memo.get(key)
    if out is None:
        if len(snap.memo) >= MEMO_MAX:
            snap.memo.clear()
        out = snap.memo[key] = _outcome(q, snap, opts)
    if out.zone is None:
        return Answer(None)
    response = dns.message.make_response(query)
    response.set_rcode(out.rcode)
    if out.authoritative:
        response.flags |= dns.flags.AA
    rng = rng or random
    response.answer = _shuffled(out.answer, rng)
    response.additional = _shuffled(out.additional, rng)
    response.authority = list(out.authority)
    return Answer(response, out.chase)


def _outcome(q, snap: Snapshot, opts: Options) -> _Outcome:
    name = q.name.to_text().lower()
    zone = zone_of(name, opts.zone)
    if zone is None:
        return _Outcome(dns.rcode.NOERROR)
    if q.rdtype in (T.AXFR, T.IXFR):
        return _Outcome(dns.rcode.REFUSED, zone, authoritative=False)
    try:
        if zone in REVERSE_ZONES:
            found, extra, chase = _reverse(q, name, snap, opts), [], None
        else:
            found, extra, chase = _lookup(q, name, snap, opts)
    except NameError_:
        if zone in REVERSE_ZONES:
            return _Outcome(dns.rcode.NOERROR)  # fallthrough in-addr.arpa ip6.arpa: forward
        rcode = dns.rcode.NXDOMAIN if snap.synced else dns.rcode.SERVFAIL
        return _negative(rcode, zone, snap, opts)
    if chase is not None:
        return replace(_negative(dns.rcode.NOERROR, zone, snap, opts), chase=chase)
    if not found:
        return _negative(dns.rcode.NOERROR, zone, snap, opts)
    return _Outcome(dns.rcode.NOERROR, zone, _rrsets(found), _rrsets(extra))


def complete(ans: Answer, upstream: list[dns.rrset.RRset] | None) -> dns.message.Message:
    """The chased answer: the CNAME and the upstream's records; NODATA (as it stands) if the lookup failed."""
    if ans.chase is None or upstream is None:
        return ans.response
    response = ans.response
    response.authority = []
    response.answer = [ans.chase.cname, *upstream]
    return response


# --- which records ------------------------------------------------------------------------------


def _lookup(q, name: str, snap: Snapshot, opts: Options) -> tuple[list[RR], list[RR], Chase | None]:
    zone, qt = opts.zone, q.rdtype
    if qt in (T.A, T.AAAA):
        return _address(q.name, qt, name, snap, opts, [])
    if qt == T.TXT:
        return _txt(q.name, name, zone), [], None
    if qt == T.SRV:
        return (*_srv(q.name, name, snap, opts), None)
    if qt == T.CNAME:
        return _cname(q.name, name, snap, opts), [], None
    if qt == T.SOA:
        return ([(_fqdn(zone), opts.ttl, _soa(zone, snap, opts))] if name == zone else []), [], None
    if qt == T.NS and name == zone:
        target = _fqdn("ns.dns." + zone)
        return ([(q.name, opts.ttl, NS(IN, T.NS, target))],
                [(target, opts.ttl, _address_rdata(ip)) for ip in opts.ns_ips], None)
    if qt in (T.PTR, T.MX):
        records(name, zone, snap, opts.ttl)  # only for its errors: no PTR or MX data in the cluster zone
        return [], [], None
    _address(q.name, T.A, name, snap, opts, [])  # "a fake A lookup", to tell NODATA from NXDOMAIN
    return [], [], None


def _items(name: str, snap: Snapshot, opts: Options) -> list[Item]:
    if name == "ns.dns." + opts.zone:
        return [Item(ip, -1, name, opts.ttl) for ip in opts.ns_ips]
    if name == opts.zone:
        return []  # the apex: NODATA
    return records(name, opts.zone, snap, opts.ttl)


def _address(owner, qt: int, name: str, snap: Snapshot, opts: Options, chain: list[RR]):
    found: list[RR] = []
    for item in _items(name, snap, opts):
        if is_ip(item.host):
            if (":" in item.host) == (qt == T.AAAA):
                found.append((owner, item.ttl, _address_rdata(item.host)))
            continue
        if item.host == name or len(chain) > MAX_CNAME_CHAIN or any(rd.target == _fqdn(item.host)
                                                                      for _, _, rd in chain):
            continue  # a CNAME loop
        cname = (owner, item.ttl, CNAME(IN, T.CNAME, _fqdn(item.host)))
        if zone_of(item.host, opts.zone) == opts.zone:
            try:
                nxt, _, _ = _address(_fqdn(item.host), qt, item.host, snap, opts, chain + [cname])
            except NameError_:
                continue
            if nxt:
                found += [cname, *nxt]
            continue
        rrset = dns.rrset.from_rdata_list(owner, item.ttl, [cname[2]])
        return found, [], Chase(rrset, item.host, qt)
    return found, [], None


def _txt(owner, name: str, zone: str) -> list[RR]:
    if name != "dns-version." + zone:
        return []
    return [(owner, VERSION_TTL, TXT(IN, T.TXT, [DNS_SCHEMA_VERSION.encode()]))]


def _cname(owner, name: str, snap: Snapshot, opts: Options) -> list[RR]:
    items = _items(name, snap, opts)
    if items and not is_ip(items[0].host):
        return [(owner, items[0].ttl, CNAME(IN, T.CNAME, _fqdn(items[0].host)))]
    return []


def _srv(owner, name: str, snap: Snapshot, opts: Options) -> tuple[list[RR], list[RR]]:
    """One SRV per (target, port), priority 0, weight floor(100/N); the targets' addresses in additional."""
    items = [i for i in _items(name, snap, opts) if is_ip(i.host)]  # ExternalName: no SRV
    if not items:
        return [], []
    weight = max(1, 100 // len(items))
    found, extra, seen = [], [], set()
    for item in items:
        if item.port == NO_PORT:
            continue
        target = _fqdn(item.key)
        if (item.key, item.port) not in seen:
            seen.add((item.key, item.port))
            found.append((owner, item.ttl, SRV(IN, T.SRV, 0, weight, item.port, target)))
        if (item.key, item.host) not in seen:
            seen.add((item.key, item.host))
            extra.append((target, item.ttl, _address_rdata(item.host)))
    return found, extra


def _reverse(q, name: str, snap: Snapshot, opts: Options) -> list[RR]:
    if q.rdtype != T.PTR:
        raise NameError_("invalid query name")
    try:
        ip = dns.reversename.to_address(dns.name.from_text(name))
    except (dns.exception.SyntaxError, ValueError):
        raise NameError_("invalid query name") from None
    targets = reverse(ip, opts.zone, snap)
    if not targets:
        raise NameError_("no items found")
    return [(q.name, opts.ttl, PTR(IN, T.PTR, _fqdn(t))) for t in targets]


# --- messages -----------------------------------------------------------------------------------


def _soa(zone: str, snap: Snapshot, opts: Options) -> SOA:
    return SOA(IN, T.SOA, _fqdn("ns.dns." + zone), _fqdn("hostmaster." + zone), snap.modified & 0xFFFFFFFF,
               7200, 1800, 86400, opts.ttl)


def _negative(rcode: int, zone: str, snap: Snapshot, opts: Options) -> _Outcome:
    """BackendError: the rcode, AA, and the zone's SOA (TTL min(ttl, 300)) in the authority section."""
    soa = dns.rrset.from_rdata_list(_fqdn(zone), min(opts.ttl, 300), [_soa(zone, snap, opts)])
    return _Outcome(rcode, zone, authority=(soa,))


def _rrsets(rrs: list[RR]) -> tuple[dns.rrset.RRset, ...]:
    """Records grouped into RRsets (duplicates dropped): CNAMEs, the others, then the addresses, the order
    `loadbalance` gives them."""
    rank = {T.CNAME: 0, T.A: 2, T.AAAA: 2}
    out: dict[tuple, dns.rrset.RRset] = {}
    for owner, ttl, rd in sorted(rrs, key=lambda rr: rank.get(rr[2].rdtype, 1)):
        key = (owner, rd.rdtype)
        if key not in out:
            out[key] = dns.rrset.RRset(owner, IN, rd.rdtype)
        out[key].add(rd, ttl)
    return tuple(out.values())


def _shuffled(rrsets: tuple[dns.rrset.RRset, ...], rng) -> list[dns.rrset.RRset]:
    """loadbalance: address records in random order (within an RRset, and address RRsets among themselves)."""
    fixed = [r for r in rrsets if r.rdtype not in (T.A, T.AAAA)]
    addresses = [r for r in rrsets if r.rdtype in (T.A, T.AAAA)]
    rng.shuffle(addresses)
    for i, rrset in enumerate(addresses):
        if len(rrset) > 1:
            rdatas = list(rrset)
            rng.shuffle(rdatas)
            addresses[i] = dns.rrset.from_rdata_list(rrset.name, rrset.ttl, rdatas)
    return fixed + addresses
