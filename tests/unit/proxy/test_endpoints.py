"""endpointslicecache.go and CategorizeEndpoints, table-tested on hand-made slices."""
from kubelab.manifest import from_dict
from services.proxy.endpoints import Endpoint, categorize, endpoints_map
from services.proxy.serviceports import ServicePort, ServicePortName


def slice_(name, svc, endpoints, ports, address_type="IPv4", labels=None):
    meta = {"name": name, "namespace": "ns", "labels": {"kubernetes.io/service-name": svc} if labels is None
            else labels}
    return from_dict({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
                      "addressType": address_type, "endpoints": endpoints, "ports": ports})


def key(port="http", proto="TCP", svc="web"):
    return ServicePortName("ns", svc, port, proto)


def test_addresses_zero_port_dedup_and_sorted():
    a = slice_("web-a", "web", [{"addresses": ["10.0.0.9", "10.0.0.99"]}, {"addresses": ["10.0.0.10"]}],
               [{"name": "http", "port": 80, "protocol": "TCP"}])
    b = slice_("web-b", "web", [{"addresses": ["10.0.0.9"], "conditions": {"ready": False}}],
               [{"name": "http", "port": 80, "protocol": "TCP"}])
    got = endpoints_map([b, a])
    # first address only; the same ip:port from a later slice (by name) is a duplicate
    assert [str(e) for e in got[key()]] == ["10.0.0.9:80", "10.0.0.10:80"]
    assert got[key()][0].ready


def test_ports_by_name_and_protocol_invalid_ports_skipped():
    s = slice_("web-a", "web", [{"addresses": ["10.0.0.1"]}],
               [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53},
                {"name": "bad", "port": 0}, {"name": "none"}])
    got = endpoints_map([s])
    assert set(got) == {key("dns", "UDP"), key("dns-tcp", "TCP")}


def test_slices_without_the_service_name_label_or_not_ipv4_are_ignored():
    no_label = slice_("x", "web", [{"addresses": ["10.0.0.1"]}], [{"name": "http", "port": 80}], labels={})
    v6 = slice_("y", "web", [{"addresses": ["fd00::1"]}], [{"name": "http", "port": 80}], address_type="IPv6")
    assert endpoints_map([no_label, v6]) == {}


def test_conditions_nil_means_ready_and_serving():
    s = slice_("a", "web", [{"addresses": ["10.0.0.1"]},
                            {"addresses": ["10.0.0.2"], "conditions": {"ready": False, "serving": True,
                                                                       "terminating": True}, "nodeName": "n2"}],
               [{"name": "http", "port": 80}])
    one, two = endpoints_map([s])[key()]
    assert (one.ready, one.serving, one.terminating) == (True, True, False)
    assert (two.ready, two.serving, two.terminating, two.node_name) == (False, True, True, "n2")


PORT = ServicePort(key(), "198.19.0.5", 80, "TCP")
READY = Endpoint("10.0.0.1", 80)
UNREADY = Endpoint("10.0.0.2", 80, ready=False, serving=False)
TERMINATING = Endpoint("10.0.0.3", 80, ready=False, serving=True, terminating=True, node_name="n1")
NOT_SERVING_TERMINATING = Endpoint("10.0.0.4", 80, ready=False, serving=False, terminating=True)


def test_ready_endpoints_only_when_some_are_ready():
    assert categorize(PORT, [READY, UNREADY, TERMINATING]) == ([READY], True)


def test_falls_back_to_serving_terminating():
    assert categorize(PORT, [UNREADY, TERMINATING, NOT_SERVING_TERMINATING]) == ([TERMINATING], True)
    assert categorize(PORT, [UNREADY, NOT_SERVING_TERMINATING]) == ([], False)


def test_internal_traffic_policy_local():
    local = ServicePort(key(), "198.19.0.5", 80, "TCP", local_only=True)
    assert categorize(local, [READY, TERMINATING], "n1") == ([TERMINATING], True)
    assert categorize(local, [READY], "n1") == ([], True)  # only remote endpoints: dropped, not rejected
    assert categorize(local, [READY, TERMINATING]) == ([READY], True)  # no node name: all are local
