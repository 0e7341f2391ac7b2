"""The nftables transaction: kube-proxy's layout, and a full sync that deletes what is no longer wanted
but keeps affinity sets (their elements are the clients' stickiness)."""
from services.proxy.endpoints import Endpoint
from services.proxy.nftables import Existing, PortState, affinity_set, endpoint_chain, render, service_chain
from services.proxy.serviceports import ServicePort, ServicePortName

WEB = ServicePort(ServicePortName("ns", "web", "http", "TCP"), "198.19.0.5", 80, "TCP", affinity_timeout=30)
EMPTY = ServicePort(ServicePortName("ns", "empty", "", "UDP"), "198.19.0.6", 53, "UDP")
EPS = (Endpoint("198.18.1.2", 8080), Endpoint("198.18.1.3", 8080))


def lines(text):
    return text.splitlines()


def test_chain_names_follow_kube_proxy():
    assert service_chain(WEB).startswith("service-") and service_chain(WEB).endswith("-ns/web/tcp/http")
    assert endpoint_chain(WEB, EPS[0]).endswith("-ns/web/tcp/http__198.18.1.2/8080")
    assert affinity_set(WEB, EPS[0]) == "affinity-" + endpoint_chain(WEB, EPS[0])[len("endpoint-"):]


def test_service_with_endpoints():
    out = lines(render("kubelab-x", [PortState(WEB, EPS, True)], Existing()))
    svc, ep0, ep1 = service_chain(WEB), endpoint_chain(WEB, EPS[0]), endpoint_chain(WEB, EPS[1])
    assert f"add rule ip kubelab-x {svc} numgen random mod 2 vmap {{ 0 : goto {ep0} , 1 : goto {ep1} }}" in out
    assert f"add rule ip kubelab-x {svc} ip saddr @{affinity_set(WEB, EPS[0])} goto {ep0}" in out
    assert f"add rule ip kubelab-x {ep0} ip saddr 198.18.1.2 jump mark-for-masquerade" in out
    assert f"add rule ip kubelab-x {ep0} update @{affinity_set(WEB, EPS[0])} {{ ip saddr }}" in out
    assert f"add rule ip kubelab-x {ep0} meta l4proto tcp dnat to 198.18.1.2:8080" in out
    assert (f"add set ip kubelab-x {affinity_set(WEB, EPS[0])} {{ type ipv4_addr ; flags dynamic,timeout ; "
            "timeout 30s ; }") in out
    assert f"add element ip kubelab-x service-ips {{ 198.19.0.5 . tcp . 80 : goto {svc} }}" in out
    assert "add element ip kubelab-x cluster-ips { 198.19.0.5 }" in out


def test_no_endpoints_rejects_and_only_remote_ones_drop():
    out = lines(render("t", [PortState(EMPTY, (), False)], Existing()))
    assert 'add element ip t no-endpoint-services { 198.19.0.6 . udp . 53 comment "ns/empty" : goto reject-chain }' in out
    assert not [x for x in out if x.startswith("add chain ip t service-") and "ns/empty" in x]
    assert not [x for x in out if x.startswith("add chain ip t endpoint-")]
    out = lines(render("t", [PortState(EMPTY, (), True)], Existing()))
    assert 'add element ip t no-endpoint-services { 198.19.0.6 . udp . 53 comment "ns/empty" : drop }' in out


def test_full_sync_deletes_stale_chains_and_sets_but_keeps_wanted_sets():
    first = Existing(chains={"services", service_chain(WEB), endpoint_chain(WEB, EPS[0]), "endpoint-OLD"},
                     sets={"cluster-ips": 0, affinity_set(WEB, EPS[0]): 30, "affinity-OLD": 30})
    out = lines(render("t", [PortState(WEB, EPS[:1], True)], first))
    assert "flush chain ip t endpoint-OLD" in out and "delete chain ip t endpoint-OLD" in out
    assert "delete set ip t affinity-OLD" in out
    assert f"delete set ip t {affinity_set(WEB, EPS[0])}" not in out  # stickiness survives the sync
    assert out.index("flush chain ip t endpoint-OLD") < out.index("delete chain ip t endpoint-OLD")
    changed = Existing(sets={affinity_set(WEB, EPS[0]): 10800})
    assert f"delete set ip t {affinity_set(WEB, EPS[0])}" in lines(render("t", [PortState(WEB, EPS[:1], True)],
                                                                          changed))


def test_unallocated_service_addresses_are_dropped_unless_local():
    out = render("t", [], Existing(), service_cidr="198.19.0.0/16")
    assert ('add rule ip t cluster-ips-check ip daddr { 198.19.0.0/16 } fib daddr type != local drop '
            'comment "Drop traffic to unallocated ClusterIPs"') in out
