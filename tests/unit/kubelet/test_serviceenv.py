"""Service environment variables: FromServices' names and values, and which Services a pod sees."""
from kubelab.api.v1 import core_pb2
from services.kubelet.serviceenv import from_services, service_env


def svc(name, ns="default", ip="198.19.0.11", ports=({"name": "", "port": 6379},)):
    return core_pb2.Service(metadata={"name": name, "namespace": ns}, spec={"cluster_ip": ip, "ports": list(ports)})


def test_from_services_matches_kubernetes():
    s = svc("redis-master", ports=({"port": 6379, "name": "redis"}, {"port": 53, "name": "dns", "protocol": "UDP"}))
    assert from_services([s]) == [
        ("REDIS_MASTER_SERVICE_HOST", "198.19.0.11"),
        ("REDIS_MASTER_SERVICE_PORT", "6379"),
        ("REDIS_MASTER_SERVICE_PORT_REDIS", "6379"),
        ("REDIS_MASTER_SERVICE_PORT_DNS", "53"),
        ("REDIS_MASTER_PORT", "tcp://198.19.0.11:6379"),
        ("REDIS_MASTER_PORT_6379_TCP", "tcp://198.19.0.11:6379"),
        ("REDIS_MASTER_PORT_6379_TCP_PROTO", "tcp"),
        ("REDIS_MASTER_PORT_6379_TCP_PORT", "6379"),
        ("REDIS_MASTER_PORT_6379_TCP_ADDR", "198.19.0.11"),
        ("REDIS_MASTER_PORT_53_UDP", "udp://198.19.0.11:53"),
        ("REDIS_MASTER_PORT_53_UDP_PROTO", "udp"),
        ("REDIS_MASTER_PORT_53_UDP_PORT", "53"),
        ("REDIS_MASTER_PORT_53_UDP_ADDR", "198.19.0.11"),
    ]


def test_headless_and_unallocated_services_have_no_variables():
    assert from_services([svc("headless", ip="None"), svc("pending", ip="")]) == []


def test_a_pod_sees_its_namespace_and_default_kubernetes():
    services = [svc("kubernetes", ip="198.19.0.1"), svc("web", ns="shop"), svc("other", ns="default")]
    env = service_env(services, "shop", True)
    assert env["KUBERNETES_SERVICE_HOST"] == "198.19.0.1" and env["WEB_SERVICE_HOST"] == "198.19.0.11"
    assert "OTHER_SERVICE_HOST" not in env
    without_links = service_env(services, "shop", False)
    assert "WEB_SERVICE_HOST" not in without_links and without_links["KUBERNETES_SERVICE_PORT"] == "6379"
