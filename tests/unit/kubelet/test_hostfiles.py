"""Pod hostname, managed /etc/hosts and resolv.conf."""
from kubelab.api.v1 import core_pb2
from services.kubelet.hostfiles import hosts_file, pod_fqdn, pod_hostname, resolv_conf

HOST_RESOLV = "# generated\nnameserver 10.0.0.53\nsearch corp.example\noptions edns0\n"


def new_pod(name="web-0", hostname="", subdomain=""):
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = name, "prod"
    p.spec.hostname, p.spec.subdomain = hostname, subdomain
    return p


def test_hostname_and_fqdn():
    assert pod_hostname(new_pod()) == "web-0"
    assert pod_hostname(new_pod(hostname="h")) == "h"
    assert pod_hostname(new_pod("x" * 70)) == "x" * 63
    assert pod_fqdn(new_pod(), "cluster.local") == ""
    assert pod_fqdn(new_pod(subdomain="web"), "cluster.local") == "web-0.web.prod.svc.cluster.local"


def test_hosts_file():
    p = new_pod(subdomain="web")
    p.spec.host_aliases.add(ip="10.1.2.3", hostnames=["foo.local", "bar.local"])
    text = hosts_file(p, "127.1.1.5", "cluster.local")
    assert text.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert "127.1.1.5\tweb-0.web.prod.svc.cluster.local\tweb-0\n" in text
    assert "# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n" in text


def test_resolv_conf_policies():
    p = new_pod()
    text = resolv_conf(p, HOST_RESOLV, "127.0.0.53", "cluster.local")
    assert text == ("search prod.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
                    "nameserver 127.0.0.53\noptions ndots:5\n")
    text = resolv_conf(p, HOST_RESOLV, "", "cluster.local")
    assert "nameserver 10.0.0.53" in text and text.startswith("search prod.svc.cluster.local")
    p.spec.dns_policy = "Default"
    assert resolv_conf(p, HOST_RESOLV, "127.0.0.53", "cluster.local") == (
        "search corp.example\nnameserver 10.0.0.53\noptions edns0\n")
    p.spec.dns_policy = "None"
    p.spec.dns_config.nameservers.append("1.1.1.1")
    p.spec.dns_config.options.add(name="ndots", value="2")
    assert resolv_conf(p, HOST_RESOLV, "", "cluster.local") == "nameserver 1.1.1.1\noptions ndots:2\n"
