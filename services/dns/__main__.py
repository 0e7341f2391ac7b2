"""`python -m services.dns`: the cluster DNS server.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen (gRPC health), --metrics-listen, --log-level,
--listen-dns HOST:PORT (instead of the kube-dns ClusterIP on port 53), --upstream HOST:PORT[,...] (instead
of resolv.conf's nameservers), --resolv-conf, --forward-timeout (2s), --cluster-domain (cluster.local),
--ttl (30), --cluster-id (default: from $KUBELAB_STATE_DIR), --dns-service (kube-system/kube-dns),
--shutdown-grace.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from kubelab import fielderrors, hostaddr
from kubelab.config import new_config
from kubelab.controller import Controller
from kubelab.fielderrors import FieldError
from kubelab.network import CLUSTER_DOMAIN, cluster_id, own_address
from kubelab.process import Process, ProcessConfig, run
from services.dns.answer import Options
from services.dns.cache import ClusterCache
from services.dns.forward import Forwarder, parse_upstream, read_resolv_conf
from services.dns.listener import Address, Listener
from services.dns.metrics import DnsMetrics
from services.dns.selfendpoints import SelfEndpoints, Serving
from services.dns.server import Resolver

COMPONENT = "dns"


@dataclass(frozen=True)
class Config(ProcessConfig):
    listen_dns: str = ""
    """HOST:PORT to serve DNS on (HOST an IP or a name looked up once, compose's `dns:53`); empty: the
    kube-dns Service's ClusterIP, port 53, added to this host."""
    upstream: str = ""
    """HOST:PORT[,HOST:PORT...] of resolvers for names outside the cluster; empty: resolv.conf's nameservers."""
    resolv_conf: str = "/etc/resolv.conf"
    """Where the upstream nameservers are read from (once, at start)."""
    forward_timeout: float = 2.0
    """Seconds a forwarded query may take in all before the answer is SERVFAIL."""
    cluster_domain: str = CLUSTER_DOMAIN
    """The cluster's DNS zone."""
    ttl: int = 30
    """TTL of the cluster's records (kubeadm's Corefile: ttl 30)."""
    cluster_id: str = ""
    """Names the host address this server adds (label lo:kl<id>); empty: cluster_id($KUBELAB_STATE_DIR)."""
    dns_service: str = "kube-system/kube-dns"
    """NAMESPACE/NAME of the Service whose ClusterIP the server serves on and whose endpoints it writes."""

    def ident(self) -> str:
        """The id naming the host address this server adds: --cluster-id, else the state dir's; "" if neither."""
        state_dir = os.environ.get("KUBELAB_STATE_DIR") or self.cluster_dir
        return self.cluster_id or (cluster_id(state_dir) if state_dir else "")

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        ident = self.ident()
        if not ident and not self.listen_dns:
            errors.append(fielderrors.required("--cluster-id", "names the address the server adds to this host "
                                                               "(or set KUBELAB_STATE_DIR, or give --listen-dns)"))
        elif ident:
            try:
                hostaddr.label(ident)
            except ValueError as e:
                errors.append(fielderrors.invalid("--cluster-id", ident, str(e)))
        return errors


def _fixed(cfg: Config) -> Address | None:
    if not cfg.listen_dns:
        return None
    up = parse_upstream(cfg.listen_dns)
    try:  # a name (compose: `dns:53`) is looked up once: the kube-dns endpoint must be an address
        host = own_address(up.host)
    except ValueError as e:
        raise SystemExit(f"dns: --listen-dns: {e}") from None
    return Address(host, up.port, managed=False)


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    upstreams = [parse_upstream(u) for u in cfg.upstream.split(",") if u.strip()] if cfg.upstream \
        else read_resolv_conf(cfg.resolv_conf)
    metrics = DnsMetrics(proc.metrics.registry)
    cache = ClusterCache(proc.informers)
    proc.on_api_reachability.append(cache.note_api)
    forwarder = Forwarder(upstreams, cfg.forward_timeout, metrics=metrics)
    zone = cfg.cluster_domain.strip(".").lower() + "."
    endpoints = SelfEndpoints(proc.client, proc.informers, cfg.dns_service)
    controller = proc.add_controller(Controller("kube-dns-endpoints", endpoints, proc.informers,
                                                for_kind="Service", watches=endpoints.watches()))
    metrics_port = int(cfg.metrics_listen.rpartition(":")[2]) if cfg.metrics_listen else None
    listener: Listener

    def options() -> Options:
        bound = listener.bound
        return Options(zone, cfg.ttl, (bound.host,) if bound else ())

    def serving(address: Address) -> None:
        endpoints.serving = Serving(address.host, address.port, metrics_port)
        controller.queue.add(cfg.dns_service)

    resolver = Resolver(cache.snapshot, options, forwarder, metrics)
    listener = Listener(resolver, proc.informers.informer("Service"), fixed=_fixed(cfg),
                        service_key=cfg.dns_service, cluster_id=cfg.ident(), stopping=proc.stopping,
                        on_serving=serving)
    proc.add_runnable("dns-server", listener.run, leader_only=False)


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.dns",
                     description="Cluster DNS: Services, endpoints and pods of the cluster as CoreDNS's kubernetes "
                                 "plugin answers for them, other names forwarded upstream.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
