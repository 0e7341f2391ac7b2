"""A pod's hostname, /etc/hosts and /etc/resolv.conf, as the kubelet writes them. Pure.

The hostname is `spec.hostname` or the pod's name (cut to 63 characters); with a `subdomain` the pod
also has the FQDN `<hostname>.<subdomain>.<namespace>.svc.<cluster-domain>` (what a StatefulSet's
headless service gives its pods). The hosts file is Kubernetes' managed one (kubelet_pods.go).
"""
from __future__ import annotations

from kubelab.api.v1 import core_pb2

__all__ = ["pod_hostname", "pod_fqdn", "hosts_file", "resolv_conf"]

MAX_HOSTNAME = 63


def pod_hostname(pod: core_pb2.Pod) -> str:
    name = pod.spec.hostname or pod.metadata.name
    return name[:MAX_HOSTNAME].rstrip("-.") or name[:MAX_HOSTNAME]


def pod_fqdn(pod: core_pb2.Pod, cluster_domain: str) -> str:
    """The FQDN when the pod has a subdomain, else ''."""
    if not pod.spec.subdomain:
        return ""
    return f"{pod_hostname(pod)}.{pod.spec.subdomain}.{pod.metadata.namespace}.svc.{cluster_domain}"


def hosts_file(pod: core_pb2.Pod, pod_ip: str, cluster_domain: str) -> str:
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix",
             "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    fqdn, hostname = pod_fqdn(pod, cluster_domain), pod_hostname(pod)
    if pod_ip:
        lines.append(f"{pod_ip}\t{fqdn}\t{hostname}" if fqdn else f"{pod_ip}\t{hostname}")
    if pod.spec.host_aliases:
        lines.append("")
        lines.append("# Entries added by HostAliases.")
        for alias in pod.spec.host_aliases:
            lines.append(f"{alias.ip}\t" + "\t".join(alias.hostnames))
    return "\n".join(lines) + "\n"


def _host_nameservers(host_resolv: str) -> tuple[list[str], list[str], list[str]]:
    servers, searches, options = [], [], []
    for line in host_resolv.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith(("#", ";")):
            continue
        if parts[0] == "nameserver" and len(parts) > 1:
            servers.append(parts[1])
        elif parts[0] == "search":
            searches = parts[1:]
        elif parts[0] == "options":
            options += parts[1:]
    return servers, searches, options


def resolv_conf(pod: core_pb2.Pod, host_resolv: str, cluster_dns: str, cluster_domain: str) -> str:
    """resolv.conf for the pod's dnsPolicy (ClusterFirst, Default, None) and dnsConfig."""
    policy = pod.spec.dns_policy or "ClusterFirst"
    host_servers, host_searches, host_options = _host_nameservers(host_resolv)
    ns = pod.metadata.namespace or "default"
    if policy == "None":
        servers, searches, options = [], [], []
    elif policy == "Default" or (policy == "ClusterFirst" and not cluster_dns) or pod.spec.host_network:
        servers, searches, options = host_servers, host_searches, host_options
        if policy != "Default" and not cluster_dns:
            searches = [f"{ns}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain] + searches
    else:
        servers = [cluster_dns]
        searches = [f"{ns}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain] + host_searches
        options = ["ndots:5"]
    cfg = pod.spec.dns_config
    servers += [s for s in cfg.nameservers if s not in servers]
    searches += [s for s in cfg.searches if s not in searches]
    for opt in cfg.options:
        text = f"{opt.name}:{opt.value}" if opt.HasField("value") else opt.name
        options = [o for o in options if o.split(":")[0] != opt.name] + [text]
    lines = [f"search {' '.join(searches)}"] if searches else []
    lines += [f"nameserver {s}" for s in servers[:3]]
    if options:
        lines.append(f"options {' '.join(options)}")
    return "\n".join(lines) + "\n"
