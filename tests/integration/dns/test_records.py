"""The DNS process answering real UDP and TCP queries from what the API server holds."""
import dns.flags
import dns.message
import dns.query
import dns.rcode

from tests.integration.dns.conftest import (addresses, endpoint_slice, random_service_ip, ready, service,
                                            wait_for_answer)
from tests.support import wait_until


async def test_records_of_services_endpoints_and_pods(client, dns_server, ns):
    ip = random_service_ip()
    await client.create(service("my-svc", ns, ip, ports=[{"name": "http", "port": 80, "targetPort": 8080}]))
    await client.create(service("nginx", ns))
    await client.create(service("ext", ns, type="ExternalName", externalName="foo.example.com", ports=[]))
    await client.create(endpoint_slice("nginx-a", ns, "nginx", [ready("198.18.1.6", "web-0"), ready("198.18.2.6", "web-1")],
                                       ports=[{"name": "web", "port": 80, "protocol": "TCP"}]))
    d = f"{ns}.svc.cluster.local"
    wait_for_answer(dns_server, f"nginx.{d}", ["198.18.1.6", "198.18.2.6"])
    for tcp in (False, True):
        r = dns_server.ask(f"my-svc.{d}", tcp=tcp)
        assert addresses(r) == [ip] and r.flags & dns.flags.AA and r.answer[0].ttl == 30
        assert addresses(dns_server.ask(f"web-0.nginx.{d}", tcp=tcp)) == ["198.18.1.6"]
    srv = dns_server.ask(f"_web._tcp.nginx.{d}", "SRV")
    assert addresses(srv) == [f"0 50 80 web-0.nginx.{d}.", f"0 50 80 web-1.nginx.{d}."]
    assert sorted(rr[0].to_text() for rr in srv.additional) == ["198.18.1.6", "198.18.2.6"]
    assert addresses(dns_server.ask(f"_http._tcp.my-svc.{d}", "SRV")) == [f"0 100 80 my-svc.{d}."]
    reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    assert addresses(dns_server.ask(reverse, "PTR")) == [f"my-svc.{d}."]
    assert addresses(dns_server.ask("6.2.18.198.in-addr.arpa", "PTR")) == [f"web-1.nginx.{d}."]
    assert addresses(dns_server.ask(f"ext.{d}", "CNAME")) == ["foo.example.com."]
    assert addresses(dns_server.ask("1-2-3-4.default.pod.cluster.local")) == ["1.2.3.4"]
    txt = dns_server.ask("dns-version.cluster.local", "TXT")
    assert addresses(txt) == ['"1.1.0"'] and txt.answer[0].ttl == 28800


async def test_nxdomain_and_nodata_carry_the_soa(client, dns_server, ns):
    ip = random_service_ip()
    await client.create(service("web", ns, ip))
    d = f"{ns}.svc.cluster.local"
    wait_for_answer(dns_server, f"web.{d}", [ip])
    for name, rdtype, rcode in [(f"nope.{d}", "A", dns.rcode.NXDOMAIN), (f"web.{d}", "AAAA", dns.rcode.NOERROR),
                                (d, "A", dns.rcode.NOERROR), ("x.nosuchns.svc.cluster.local", "A", dns.rcode.NXDOMAIN)]:
        r = dns_server.ask(name, rdtype)
        assert r.rcode() == rcode and r.answer == [], name
        (soa,) = r.authority
        assert soa.name.to_text() == "cluster.local." and soa[0].mname.to_text() == "ns.dns.cluster.local."
        assert soa[0].minimum == 30 and soa[0].refresh == 7200
    assert dns_server.ask("cluster.local", "AXFR", tcp=True).rcode() == dns.rcode.REFUSED


async def test_large_answers_are_truncated_over_udp_and_whole_over_tcp(client, dns_server, ns):
    await client.create(service("big", ns))
    eps = [ready(f"198.18.{10 + i // 200}.{i % 200 + 1}") for i in range(80)]
    await client.create(endpoint_slice("big-a", ns, "big", eps))
    name = f"big.{ns}.svc.cluster.local"
    wait_until(lambda: dns_server.ask(name, tcp=True).answer, 20, 0.05, f"{name} known")
    r = dns_server.ask(name)
    assert r.flags & dns.flags.TC
    query = dns.message.make_query(name, "A")
    full, used_tcp = dns.query.udp_with_fallback(query, "127.0.0.1", port=dns_server.dns_port, timeout=3)
    assert used_tcp and len(addresses(full)) == 80 and not full.flags & dns.flags.TC


async def test_outside_names_are_forwarded_upstream(dns_server):
    r = dns_server.ask("foo.example.com")
    assert r.rcode() == dns.rcode.NOERROR and addresses(r) == ["192.0.2.1"]
    assert addresses(dns_server.ask("foo.example.com", tcp=True)) == ["192.0.2.1"]
    # unknown reverse names too (kubeadm's `fallthrough in-addr.arpa ip6.arpa`)
    assert addresses(dns_server.ask("4.3.2.1.in-addr.arpa", "PTR")) == ["192.0.2.1"]


async def test_a_name_follows_its_endpointslice(client, dns_server, ns):
    await client.create(service("db", ns))
    name = f"db-0.db.{ns}.svc.cluster.local"
    assert dns_server.ask(name).rcode() == dns.rcode.NXDOMAIN
    await client.create(endpoint_slice("db-a", ns, "db", [ready("198.18.4.4", "db-0")]))
    wait_for_answer(dns_server, name, ["198.18.4.4"])
    await client.delete("EndpointSlice", "db-a", ns)
    wait_until(lambda: dns_server.ask(name).rcode() == dns.rcode.NXDOMAIN, 20, 0.05, f"{name} gone")


async def test_externalname_changes_follow_as_the_conformance_test_makes_them(client, dns_server, ns):
    """e2e dns.go "should provide DNS for ExternalName services": foo, then bar, then a ClusterIP Service."""
    await client.create(service("dns-test-service-3", ns, type="ExternalName", externalName="foo.example.com",
                                ports=[]))
    name = f"dns-test-service-3.{ns}.svc.cluster.local"
    wait_for_answer(dns_server, name, ["foo.example.com."], rdtype="CNAME")
    svc = await client.get("Service", "dns-test-service-3", ns)
    svc.spec.external_name = "bar.example.com"
    await client.update(svc)
    wait_for_answer(dns_server, name, ["bar.example.com."], rdtype="CNAME")
    ip = random_service_ip()
    svc = await client.get("Service", "dns-test-service-3", ns)
    svc.spec.type, svc.spec.external_name, svc.spec.cluster_ip = "ClusterIP", "", ip
    svc.spec.cluster_ips[:] = [ip]
    svc.spec.ports.add(name="http", port=80, protocol="TCP").target_port.number_value = 80
    await client.update(svc)
    wait_for_answer(dns_server, name, [ip])
    assert dns_server.ask(name, "CNAME").answer == []


async def test_the_kubernetes_service_resolves_over_udp_and_tcp(client, dns_server):
    """e2e dns.go "should provide DNS for the cluster" [Conformance], on the API server's bootstrap Service."""
    ip = (await client.get("Service", "kubernetes", "default")).spec.cluster_ip
    wait_for_answer(dns_server, "kubernetes.default.svc.cluster.local", [ip])
    assert addresses(dns_server.ask("kubernetes.default.svc.cluster.local", tcp=True)) == [ip]
    reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    assert addresses(dns_server.ask(reverse, "PTR")) == ["kubernetes.default.svc.cluster.local."]
    srv = dns_server.ask("_https._tcp.kubernetes.default.svc.cluster.local", "SRV")
    assert addresses(srv) == ["0 100 443 kubernetes.default.svc.cluster.local."]
