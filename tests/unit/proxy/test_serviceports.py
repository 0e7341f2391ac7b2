"""ShouldSkipService and the per-port view of a Service."""
from kubelab.manifest import from_dict
from services.proxy.serviceports import DEFAULT_AFFINITY_TIMEOUT, service_ports, should_skip


def svc(**spec):
    base = {"clusterIP": "198.19.0.5", "ports": [{"name": "http", "port": 80}]}
    return from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "ns"},
                      "spec": {**base, **spec}})


def test_headless_and_external_name_are_skipped():
    assert should_skip(svc(clusterIP="None")) == "Skipping service due to cluster IP"
    assert should_skip(svc(clusterIP="")) == "Skipping service due to cluster IP"
    assert should_skip(svc(type="ExternalName", externalName="example.com"))
    assert service_ports(svc(clusterIP="None")) == []


def test_ports_protocol_default_and_sctp_left_out():
    ports = service_ports(svc(ports=[{"name": "a", "port": 53}, {"name": "b", "port": 53, "protocol": "UDP"},
                                     {"name": "c", "port": 9, "protocol": "SCTP"}]))
    assert [(str(p.name), p.protocol, p.port) for p in ports] == [("ns/web:a", "TCP", 53), ("ns/web:b", "UDP", 53)]


def test_session_affinity_timeout_and_local_policy():
    assert service_ports(svc())[0].affinity_timeout == 0
    assert service_ports(svc(sessionAffinity="ClientIP"))[0].affinity_timeout == DEFAULT_AFFINITY_TIMEOUT
    p = service_ports(svc(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}},
                          internalTrafficPolicy="Local"))[0]
    assert (p.affinity_timeout, p.local_only) == (60, True)


def test_ipv6_or_malformed_cluster_ips_and_bad_ports_are_left_out():
    assert service_ports(svc(clusterIP="fd00::5")) == []
    assert service_ports(svc(clusterIP="not-an-ip")) == []
    assert service_ports(svc(ports=[{"name": "a", "port": 0}, {"name": "b", "port": 70000}])) == []
