"""The pure answer function against the reference's query -> answer table (service-networking.md 1.3) and
the CoreDNS rules behind it (1.2): a snapshot of API objects in, a DNS response out."""
import random

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from services.dns.answer import Options, answer, complete
from services.dns.snapshot import Snapshot
from tests.unit.dns.objects import endpoint_slice, namespace, service

SERIAL = 1765000000


def ready(ip, hostname=None, state=True):
    ep = {"addresses": [ip]}
    if state is not None:
        ep["conditions"] = {"ready": state}
    if hostname:
        ep["hostname"] = hostname
    return ep


def cluster(**extra) -> Snapshot:
    services = [
        service("nginx"),  # headless, port "web"
        service("my-svc", cluster_ip="198.19.1.5", ports="[{name: http, port: 8080, targetPort: 80}]"),
        service("empty-headless"),
        service("ext", type="ExternalName", externalName="foo.example.com", ports="[]"),
        service("inner", type="ExternalName", externalName="my-svc.default.svc.cluster.local", ports="[]"),
        service("unnamed", cluster_ip="198.19.1.6", ports="[{port: 80}]"),
        service("two", ns="other", cluster_ip="None", ports="[{name: web, port: 80}]"),
    ]
    slices = [
        endpoint_slice("nginx-a", "nginx", [ready("198.18.1.6", "web-0"), ready("198.18.2.6", "web-1"),
                                             ready("198.18.3.6", "web-2", state=False)]),
        endpoint_slice("my-svc-a", "my-svc", [ready("198.18.1.9", state=None)],
                       ports=[{"name": "http", "port": 80, "protocol": "TCP"}]),
        endpoint_slice("two-a", "two", [ready("198.18.1.6", "web-0")], ns="other"),
    ]
    return Snapshot.from_objects([namespace("default"), namespace("kube-system"), namespace("other")],
                                 services + extra.get("services", []), slices + extra.get("slices", []),
                                 modified=SERIAL, synced=extra.get("synced", True))


def ask(name: str, rdtype: str = "A", snap: Snapshot | None = None, rng=None):
    a = answer(dns.message.make_query(name, rdtype), snap or cluster(), Options(), rng or random.Random(1))
    return a


def respond(name, rdtype="A", snap=None):
    a = ask(name, rdtype, snap)
    assert a.response is not None, f"{name} {rdtype} was forwarded"
    assert a.chase is None
    return a.response


def rdatas(response, section="answer"):
    return sorted(rd.to_text() for rrset in getattr(response, section) for rd in rrset)


def additional(response) -> dict[str, list[str]]:
    return {rrset.name.to_text(): [rd.to_text() for rd in rrset] for rrset in response.additional}


def assert_negative(response, rcode):
    assert response.rcode() == rcode
    assert response.answer == []
    (soa,) = response.authority
    assert soa.name.to_text() == "cluster.local." and soa.ttl == 30
    assert soa[0].to_text() == f"ns.dns.cluster.local. hostmaster.cluster.local. {SERIAL} 7200 1800 86400 30"
    assert response.flags & dns.flags.AA


# --- the table, row by row ----------------------------------------------------------------------


def test_endpoint_hostname_of_a_ready_endpoint():
    r = respond("web-0.nginx.default.svc.cluster.local")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rdatas(r) == ["198.18.1.6"] and r.answer[0].ttl == 30


@pytest.mark.parametrize("name", ["web-9.nginx.default.svc.cluster.local", "web-2.nginx.default.svc.cluster.local"])
def test_unknown_or_unready_hostname_is_nxdomain(name):
    assert_negative(respond(name), dns.rcode.NXDOMAIN)


def test_aaaa_of_an_ipv4_name_is_nodata_with_soa():
    assert_negative(respond("web-0.nginx.default.svc.cluster.local", "AAAA"), dns.rcode.NOERROR)
    assert_negative(respond("my-svc.default.svc.cluster.local", "AAAA"), dns.rcode.NOERROR)


def test_headless_service_answers_every_ready_endpoint():
    r = respond("nginx.default.svc.cluster.local")
    assert rdatas(r) == ["198.18.1.6", "198.18.2.6"]  # web-2 is not ready


def test_headless_service_without_ready_endpoints_is_nxdomain():
    assert_negative(respond("empty-headless.default.svc.cluster.local"), dns.rcode.NXDOMAIN)


def test_clusterip_service_answers_its_clusterip_even_without_endpoints():
    assert rdatas(respond("my-svc.default.svc.cluster.local")) == ["198.19.1.5"]
    assert rdatas(respond("unnamed.default.svc.cluster.local")) == ["198.19.1.6"]  # no slice at all


def test_srv_of_a_headless_named_port():
    r = respond("_web._tcp.nginx.default.svc.cluster.local", "SRV")
    assert rdatas(r) == ["0 50 80 web-0.nginx.default.svc.cluster.local.",
                         "0 50 80 web-1.nginx.default.svc.cluster.local."]
    assert additional(r) == {"web-0.nginx.default.svc.cluster.local.": ["198.18.1.6"],
                     "web-1.nginx.default.svc.cluster.local.": ["198.18.2.6"]}


def test_srv_of_a_clusterip_named_port_gives_the_service_port():
    r = respond("_http._tcp.my-svc.default.svc.cluster.local", "SRV")
    assert rdatas(r) == ["0 100 8080 my-svc.default.svc.cluster.local."]
    assert additional(r) == {"my-svc.default.svc.cluster.local.": ["198.19.1.5"]}


def test_srv_weight_is_floor_100_over_n():
    eps = [ready(f"198.18.9.{i}", f"h{i}") for i in range(3)]
    snap = cluster(services=[service("three")], slices=[endpoint_slice("three-a", "three", eps)])
    assert {rd.weight for rd in respond("_web._tcp.three.default.svc.cluster.local", "SRV", snap).answer[0]} == {33}


def test_unnamed_ports_have_no_srv_but_an_a_record():
    assert_negative(respond("_http._tcp.unnamed.default.svc.cluster.local", "SRV"), dns.rcode.NXDOMAIN)
    assert rdatas(respond("unnamed.default.svc.cluster.local")) == ["198.19.1.6"]


def test_ptr_of_a_clusterip():
    r = respond("5.1.19.198.in-addr.arpa", "PTR")
    assert rdatas(r) == ["my-svc.default.svc.cluster.local."]


def test_ptr_of_an_endpoint_one_per_service_selecting_it():
    r = respond("6.1.18.198.in-addr.arpa", "PTR")
    assert rdatas(r) == ["web-0.nginx.default.svc.cluster.local.", "web-0.two.other.svc.cluster.local."]


def test_ptr_of_an_endpoint_without_hostname_uses_the_dashed_ip():
    assert rdatas(respond("9.1.18.198.in-addr.arpa", "PTR")) == ["198-18-1-9.my-svc.default.svc.cluster.local."]


def test_unknown_reverse_names_fall_through_to_the_upstream():
    assert ask("1.1.1.10.in-addr.arpa", "PTR").response is None
    assert ask("6.2.18.198.in-addr.arpa", "A").response is None  # only PTR is the cluster's there


def test_pod_record_insecure():
    assert rdatas(respond("1-2-3-4.default.pod.cluster.local")) == ["1.2.3.4"]
    assert_negative(respond("1-2-3-4.default.pod.cluster.local", "AAAA"), dns.rcode.NOERROR)
    assert_negative(respond("not-an-ip.default.pod.cluster.local"), dns.rcode.NXDOMAIN)
    assert_negative(respond("1-2-3-4.nosuchns.pod.cluster.local"), dns.rcode.NXDOMAIN)


def test_namespace_that_does_not_exist_is_nxdomain():
    assert_negative(respond("x.nosuchns.svc.cluster.local"), dns.rcode.NXDOMAIN)
    assert_negative(respond("nosuchns.svc.cluster.local"), dns.rcode.NXDOMAIN)


def test_existing_namespace_is_nodata():
    assert_negative(respond("default.svc.cluster.local"), dns.rcode.NOERROR)
    assert_negative(respond("svc.cluster.local"), dns.rcode.NOERROR)
    assert_negative(respond("cluster.local"), dns.rcode.NOERROR)


def test_dns_version_txt():
    r = respond("dns-version.cluster.local", "TXT")
    assert rdatas(r) == ['"1.1.0"'] and r.answer[0].ttl == 28800


def test_names_outside_the_zone_are_forwarded():
    assert ask("foo.example.com").response is None
    assert ask("cluster.local.example.com").response is None


# --- the rules behind the table -----------------------------------------------------------------


def test_comparisons_are_case_insensitive_and_the_owner_keeps_the_case_asked():
    r = respond("WEB-0.Nginx.Default.SVC.Cluster.Local")
    assert rdatas(r) == ["198.18.1.6"] and r.answer[0].name.to_text() == "WEB-0.Nginx.Default.SVC.Cluster.Local."


def test_a_hostname_resolves_through_a_clusterip_service_too():
    assert rdatas(respond("198-18-1-9.my-svc.default.svc.cluster.local")) == ["198.18.1.9"]


def test_too_many_labels_and_unknown_kinds_are_nxdomain():
    assert_negative(respond("a.b.c.nginx.default.svc.cluster.local"), dns.rcode.NXDOMAIN)
    assert_negative(respond("nginx.default.foo.cluster.local"), dns.rcode.NXDOMAIN)


def test_externalname_is_a_cname():
    r = respond("ext.default.svc.cluster.local", "CNAME")
    assert rdatas(r) == ["foo.example.com."]
    assert_negative(respond("x.ext.default.svc.cluster.local"), dns.rcode.NXDOMAIN)
    assert_negative(respond("_web._tcp.ext.default.svc.cluster.local", "SRV"), dns.rcode.NOERROR)


def test_externalname_a_query_chases_the_target_upstream():
    a = ask("ext.default.svc.cluster.local")
    assert a.chase is not None and a.chase.target == "foo.example.com." and a.chase.rdtype == dns.rdatatype.A
    found = [dns.rrset.from_text("foo.example.com.", 60, "IN", "A", "192.0.2.7")]
    r = complete(a, found)
    assert [(s.name.to_text(), s.rdtype) for s in r.answer] == [
        ("ext.default.svc.cluster.local.", dns.rdatatype.CNAME), ("foo.example.com.", dns.rdatatype.A)]
    assert r.rcode() == dns.rcode.NOERROR and not r.authority
    assert_negative(complete(ask("ext.default.svc.cluster.local"), None), dns.rcode.NOERROR)  # upstream failed


def test_externalname_inside_the_zone_is_followed_here():
    r = respond("inner.default.svc.cluster.local")
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    assert rdatas(r) == ["198.19.1.5", "my-svc.default.svc.cluster.local."]


def test_name_errors_are_servfail_until_the_caches_have_synced():
    snap = cluster(synced=False)
    assert respond("x.nosuchns.svc.cluster.local", snap=snap).rcode() == dns.rcode.SERVFAIL
    assert rdatas(respond("my-svc.default.svc.cluster.local", snap=snap)) == ["198.19.1.5"]


def test_zone_transfers_are_refused():
    for rdtype in ("AXFR", "IXFR"):
        r = respond("cluster.local", rdtype)
        assert r.rcode() == dns.rcode.REFUSED and not r.flags & dns.flags.AA


def test_other_types_tell_nodata_from_nxdomain():
    assert_negative(respond("my-svc.default.svc.cluster.local", "MX"), dns.rcode.NOERROR)
    assert_negative(respond("nope.default.svc.cluster.local", "MX"), dns.rcode.NXDOMAIN)
    assert_negative(respond("my-svc.default.svc.cluster.local", "HINFO"), dns.rcode.NOERROR)
    assert_negative(respond("nope.default.svc.cluster.local", "HINFO"), dns.rcode.NXDOMAIN)


def test_soa_at_the_apex_answers_and_elsewhere_is_nodata():
    r = respond("cluster.local", "SOA")
    assert rdatas(r) == [f"ns.dns.cluster.local. hostmaster.cluster.local. {SERIAL} 7200 1800 86400 30"]
    assert_negative(respond("my-svc.default.svc.cluster.local", "SOA"), dns.rcode.NOERROR)


def test_a_record_order_is_randomised():
    eps = [ready(f"198.18.7.{i}", f"h{i}") for i in range(6)]
    snap = cluster(services=[service("many")], slices=[endpoint_slice("many-a", "many", eps)])
    orders = set()
    for seed in range(20):
        r = answer(dns.message.make_query("many.default.svc.cluster.local", "A"), snap, Options(),
                   random.Random(seed)).response
        orders.add(tuple(rd.to_text() for rd in r.answer[0]))
    assert len(orders) > 5 and all(sorted(o) == sorted(next(iter(orders))) for o in orders)


def test_response_copies_id_question_and_rd_without_ra():
    q = dns.message.make_query("my-svc.default.svc.cluster.local", "A")
    r = answer(q, cluster(), Options()).response
    assert r.id == q.id and r.question == q.question
    assert r.flags & dns.flags.QR and r.flags & dns.flags.RD and not r.flags & dns.flags.RA


def test_ttl_follows_the_option():
    r = answer(dns.message.make_query("my-svc.default.svc.cluster.local", "A"), cluster(), Options(ttl=5)).response
    assert r.answer[0].ttl == 5


def test_ns_of_the_zone_names_this_server():
    r = answer(dns.message.make_query("cluster.local", "NS"), cluster(), Options(ns_ips=("198.19.0.10",))).response
    assert rdatas(r) == ["ns.dns.cluster.local."]
    assert additional(r) == {"ns.dns.cluster.local.": ["198.19.0.10"]}
