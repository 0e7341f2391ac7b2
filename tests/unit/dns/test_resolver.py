"""Resolver.handle: the bytes in, bytes out step of the server, without sockets (truncation, bad input)."""
import dns.flags
import dns.message
import dns.opcode
import dns.rcode

from services.dns.answer import Options
from services.dns.forward import Forwarder
from services.dns.server import Resolver
from services.dns.snapshot import Snapshot
from tests.unit.dns.objects import endpoint_slice, namespace, service


def resolver() -> Resolver:
    eps = [{"addresses": [f"198.18.{i // 200}.{i % 200 + 1}"], "hostname": f"web-{i}"} for i in range(60)]
    snap = Snapshot.from_objects([namespace("default")], [service("big")], [endpoint_slice("big-a", "big", eps)])
    return Resolver(lambda: snap, Options, Forwarder([]))


def test_a_large_udp_answer_is_truncated_and_complete_over_tcp():
    q = dns.message.make_query("big.default.svc.cluster.local", "A")
    wire, pending = resolver().handle(q.to_wire(), "udp")
    assert pending is None and len(wire) <= 512
    r = dns.message.from_wire(wire)
    assert r.flags & dns.flags.TC and r.rcode() == dns.rcode.NOERROR
    r = dns.message.from_wire(resolver().handle(q.to_wire(), "tcp")[0])
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 60


def test_edns_raises_the_udp_limit():
    q = dns.message.make_query("big.default.svc.cluster.local", "A", use_edns=0, payload=4096)
    r = dns.message.from_wire(resolver().handle(q.to_wire(), "udp")[0])
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 60 and r.edns == 0


def test_garbage_gets_formerr_or_nothing():
    q = dns.message.make_query("big.default.svc.cluster.local", "A")
    wire, pending = resolver().handle(q.to_wire()[:20], "udp")
    r = dns.message.from_wire(wire)
    assert r.id == q.id and r.rcode() == dns.rcode.FORMERR and pending is None
    assert resolver().handle(b"\x01\x02", "udp") == (None, None)


def test_other_opcodes_are_not_implemented():
    q = dns.message.make_query("big.default.svc.cluster.local", "A")
    q.set_opcode(dns.opcode.NOTIFY)
    r = dns.message.from_wire(resolver().handle(q.to_wire(), "udp")[0])
    assert r.rcode() == dns.rcode.NOTIMP


def test_outside_names_wait_for_the_forwarder():
    wire, pending = resolver().handle(dns.message.make_query("example.com", "A").to_wire(), "udp")
    assert wire is None and pending is not None and pending.local is None
