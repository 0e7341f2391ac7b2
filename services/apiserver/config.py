"""The API server's configuration: flags, with environment fallbacks."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from kubelab.network import DEFAULT_SERVICE_CIDR


@dataclass(frozen=True)
class Config:
    listen: str = "127.0.0.1:6443"
    """Address of the gRPC API (and its health and reflection services)."""
    redis: str = "redis://127.0.0.1:6379/0"
    """The Redis holding all state."""
    history: int = 10000
    """How many changes the event stream keeps; older watch resourceVersions get OUT_OF_RANGE."""
    watch_queue: int = 1000
    """Events a watcher may have pending before it is cut off."""
    bookmark_interval: float = 60.0
    """Seconds between BOOKMARK events on an idle watch that asked for them."""
    watch_batch_window: float = 0.010
    """Seconds: a WatchBatched stream sends at most one message per window (0: each event at once)."""
    log_level: str = "info"
    """debug, info, warning or error."""
    service_cluster_ip_range: str = DEFAULT_SERVICE_CIDR
    """The CIDR Services' ClusterIPs come from (kube-apiserver's --service-cluster-ip-range)."""
    service_node_port_range: str = "30000-32767"
    """The ports NodePort Services' nodePorts come from (kube-apiserver's --service-node-port-range)."""
    advertise_address: str = ""
    """The address the `kubernetes` Endpoints point at; empty: the host of --listen."""
    http_listen: str = ""
    """Address of the Kubernetes HTTP API (plain HTTP, for kubectl and client libraries); empty: none."""
    kube_dns_proxied: bool = False
    """Create kube-dns without the service-proxy-name label: kube-proxy forwards its ClusterIP to the DNS
    server's endpoint (docker compose); default: the DNS server binds the ClusterIP itself."""

    @classmethod
    def from_args(cls, argv: list[str] | None = None) -> "Config":
        env = os.environ.get
        p = argparse.ArgumentParser(prog="python -m services.apiserver", description="kubelab API server")
        p.add_argument("--listen", default=env("KUBELAB_LISTEN", cls.listen))
        p.add_argument("--redis", default=env("KUBELAB_REDIS_URL", cls.redis))
        p.add_argument("--history", type=int, default=int(env("KUBELAB_HISTORY", cls.history)))
        p.add_argument("--watch-queue", type=int, default=int(env("KUBELAB_WATCH_QUEUE", cls.watch_queue)))
        p.add_argument("--bookmark-interval", type=float,
                       default=float(env("KUBELAB_BOOKMARK_INTERVAL", cls.bookmark_interval)))
        p.add_argument("--watch-batch-window", type=float, default=cls.watch_batch_window,
                       help="seconds; a WatchBatched stream sends at most one message per window, so a busy "
                            "stream carries several events per message (0: each event at once)")
        p.add_argument("--log-level", default=env("KUBELAB_LOG_LEVEL", cls.log_level))
        p.add_argument("--service-cluster-ip-range", default=cls.service_cluster_ip_range,
                       help="CIDR the Services' ClusterIPs are allocated from (default %(default)s)")
        p.add_argument("--service-node-port-range", default=cls.service_node_port_range,
                       help="port range NodePorts are allocated from (default %(default)s)")
        p.add_argument("--advertise-address", default=cls.advertise_address,
                       help="IP the default/kubernetes Endpoints point at, or a name looked up once at start "
                            "(default: the host of --listen)")
        p.add_argument("--http-listen", default=env("KUBELAB_HTTP_LISTEN", cls.http_listen),
                       help="HOST:PORT of the Kubernetes HTTP API, plain HTTP without authentication "
                            "(kubectl, client libraries); empty: not served")
        p.add_argument("--kube-dns-proxied", action="store_true",
                       help="create kube-system/kube-dns without the service-proxy-name label, so that "
                            "kube-proxy forwards its ClusterIP to the DNS server's endpoint (docker compose); "
                            "default: the DNS server binds the ClusterIP itself")
        a = p.parse_args(argv)
        return cls(a.listen, a.redis, a.history, a.watch_queue, a.bookmark_interval, a.watch_batch_window,
                   a.log_level, a.service_cluster_ip_range, a.service_node_port_range, a.advertise_address,
                   a.http_listen, a.kube_dns_proxied)
