"""The API server's configuration: flags, with KUBELAB_* environment fallbacks (kubelab.process.new_config).

Each field is the flag `--field-name` and the environment variable `KUBELAB_FIELD_NAME` (`--redis`:
`KUBELAB_REDIS_URL`, what the launcher sets); the docstrings are the `--help` text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.network import DEFAULT_SERVICE_CIDR
from kubelab.process import new_config

PROG = "python -m services.apiserver"


@dataclass(frozen=True)
class Config:
    listen: str = "127.0.0.1:6443"
    """HOST:PORT of the gRPC API (and its health and reflection services)."""
    redis: str = field(default="redis://127.0.0.1:6379/0", metadata={"env": "KUBELAB_REDIS_URL"})
    """The Redis holding all state."""
    history: int = 10000
    """How many changes the event stream keeps; older watch resourceVersions get OUT_OF_RANGE."""
    watch_queue: int = 1000
    """Events a watcher may have pending before it is cut off."""
    bookmark_interval: float = 60.0
    """Seconds between BOOKMARK events on an idle watch that asked for them."""
    watch_batch_window: float = 0.010
    """Seconds; a WatchBatched stream sends at most one message per window, so a busy stream carries
    several events per message (0: each event at once)."""
    log_level: str = "info"
    """debug, info, warning or error."""
    service_cluster_ip_range: str = DEFAULT_SERVICE_CIDR
    """CIDR the Services' ClusterIPs are allocated from (kube-apiserver's --service-cluster-ip-range)."""
    service_node_port_range: str = "30000-32767"
    """Port range NodePorts are allocated from (kube-apiserver's --service-node-port-range)."""
    advertise_address: str = ""
    """IP the default/kubernetes Endpoints point at, or a name looked up once at start; empty: the host of
    --listen."""
    http_listen: str = ""
    """HOST:PORT of the Kubernetes HTTP API, plain HTTP without authentication (kubectl, client
    libraries); empty: not served."""
    kube_dns_proxied: bool = False
    """Create kube-system/kube-dns without the service-proxy-name label, so that kube-proxy forwards its
    ClusterIP to the DNS server's endpoint (docker compose); default: the DNS server binds the ClusterIP
    itself."""

    @classmethod
    def from_args(cls, argv: list[str] | None = None, environ=None) -> "Config":
        return new_config(cls, argv, environ, prog=PROG, description="kubelab API server")
