"""Upstreams from resolv.conf, and the kube-dns Endpoints/EndpointSlice the server writes for itself."""
from services.dns.forward import Forwarder, Upstream, parse_upstream, read_resolv_conf
from services.dns.selfendpoints import MANAGED_BY, Serving, new_endpoint_slice, new_endpoints
from tests.unit.dns.objects import service


def test_resolv_conf_nameservers_in_order(tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example.org\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\n"
                    "options ndots:2\nnameserver 198.19.0.10\n")
    assert read_resolv_conf(str(conf)) == [Upstream("10.0.0.2"), Upstream("fe80::1"), Upstream("198.19.0.10")]
    assert read_resolv_conf(str(tmp_path / "missing")) == []


def test_upstream_flag_forms():
    assert parse_upstream("127.0.0.1:5353") == Upstream("127.0.0.1", 5353)
    assert parse_upstream("10.0.0.2") == Upstream("10.0.0.2", 53)
    assert parse_upstream("[::1]:5353") == Upstream("::1", 5353)
    assert parse_upstream("::1") == Upstream("::1", 53)


def test_the_server_never_forwards_to_itself():
    f = Forwarder([Upstream("198.19.0.10"), Upstream("10.0.0.2")])
    f.own = {Upstream("198.19.0.10", 53)}
    assert f.targets() == [Upstream("10.0.0.2")]


def test_kube_dns_endpoint_slice_and_endpoints():
    svc = service("kube-dns", ns="kube-system", cluster_ip="198.19.0.10")
    svc.metadata.uid = "u1"
    svc.metadata.labels["k8s-app"] = "kube-dns"
    serving = Serving("198.19.0.10", 53, 9153)
    eps = new_endpoint_slice("kube-system", "kube-dns", svc, serving)
    assert dict(eps.metadata.labels) == {"k8s-app": "kube-dns", "kubernetes.io/service-name": "kube-dns",
                                         "endpointslice.kubernetes.io/managed-by": MANAGED_BY}
    assert eps.address_type == "IPv4" and [list(e.addresses) for e in eps.endpoints] == [["198.19.0.10"]]
    assert eps.endpoints[0].conditions.ready and not eps.endpoints[0].conditions.terminating
    assert [(p.name, p.port, p.protocol) for p in eps.ports] == [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"),
                                                                 ("metrics", 9153, "TCP")]
    assert [(r.kind, r.name, r.uid, r.controller) for r in eps.metadata.owner_references] == \
        [("Service", "kube-dns", "u1", True)]
    ep = new_endpoints("kube-system", "kube-dns", svc, Serving("198.19.0.10", 53, None))
    assert ep.metadata.labels["endpointslice.kubernetes.io/skip-mirror"] == "true"
    assert [a.ip for a in ep.subsets[0].addresses] == ["198.19.0.10"]
    assert [p.name for p in ep.subsets[0].ports] == ["dns", "dns-tcp"]
