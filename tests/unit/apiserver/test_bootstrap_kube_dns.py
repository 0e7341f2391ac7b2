"""kube-dns as the API server makes it: kept off kube-proxy by default (the DNS server binds the ClusterIP),
proxied in docker compose (--kube-dns-proxied: the DNS server is an endpoint behind the ClusterIP)."""
from services.apiserver.bootstrap import kube_dns_service
from services.apiserver.config import Config
from services.apiserver.ipallocator import ServiceRange

PROXY_NAME = "service.kubernetes.io/service-proxy-name"


def test_locally_the_proxy_name_label_keeps_kube_proxy_off_it():
    svc = kube_dns_service(ServiceRange.parse("198.19.0.0/16"))
    assert svc.metadata.labels[PROXY_NAME] == "kubelab-dns" and svc.spec.cluster_ip == "198.19.0.10"


def test_proxied_it_is_kubeadms_service_without_the_label():
    svc = kube_dns_service(ServiceRange.parse("198.19.0.0/16"), proxied=True)
    assert PROXY_NAME not in svc.metadata.labels
    assert svc.metadata.labels["k8s-app"] == "kube-dns" and svc.spec.cluster_ip == "198.19.0.10"
    assert Config.from_args(["--kube-dns-proxied"]).kube_dns_proxied
    assert not Config.from_args([]).kube_dns_proxied
