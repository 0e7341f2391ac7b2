"""The API server's configuration: flags, with KUBELAB_* environment fallbacks (kubelab.config.new_config).

Each field is the flag `--field-name` and the environment variable `KUBELAB_FIELD_NAME` (`--redis`:
`KUBELAB_REDIS_URL`, what the launcher sets); the docstrings are the `--help` text. `--listen`,
`--metrics-listen`, `--log-level` and `--shutdown-grace` are every process's (kubelab.config.BaseConfig).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubelab import fielderrors
from kubelab.cluster.registry import MAX_APISERVER_WORKERS
from kubelab.config import BaseConfig, new_config
from kubelab.fielderrors import FieldError
from kubelab.network import DEFAULT_SERVICE_CIDR
from services.apiserver.ipallocator import PortRange, ServiceRange

PROG = "python -m services.apiserver"


@dataclass(frozen=True)
class Config(BaseConfig):
    listen: str = "127.0.0.1:6443"
    """HOST:PORT of the gRPC API (and its health and reflection services)."""
    shutdown_grace: float = 2.0
    """Seconds in-flight calls get on SIGTERM before they are cancelled."""
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
    watch_message_budget: float = 4000.0
    """Stream messages a second that busy WatchBatched streams send together: while more than budget x
    window streams are busy, the window widens to busy / budget seconds (0: it never widens)."""
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

    workers: int = 1
    """API server processes serving --listen and --http-listen together (the kernel spreads connections
    across them), each with its own watch cache, all on the one Redis: more cores for the API where the
    machine has them. This process starts the others, restarts one that exits and stops them on SIGTERM."""
    worker_index: int = 0
    """Set by the first worker on the others it starts (1, 2, ...); 0: the first worker, which alone
    creates what exists from the start (default namespaces, the kubernetes and kube-dns Services)."""

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if not 1 <= self.workers <= MAX_APISERVER_WORKERS:
            errors.append(fielderrors.invalid("--workers", self.workers,
                                              f"must be between 1 and {MAX_APISERVER_WORKERS}"))
        if not 0 <= self.worker_index < max(self.workers, 1):
            errors.append(fielderrors.invalid("--worker-index", self.worker_index,
                                              f"must be between 0 and --workers - 1 ({self.workers - 1})"))
        for flag, parse, value in (("--service-cluster-ip-range", ServiceRange.parse, self.service_cluster_ip_range),
                                   ("--service-node-port-range", PortRange.parse, self.service_node_port_range)):
            try:
                parse(value)
            except ValueError as e:
                errors.append(fielderrors.invalid(flag, value, str(e)))
        return errors

    @classmethod
    def from_args(cls, argv: list[str] | None = None, environ=None) -> "Config":
        return new_config(cls, argv, environ, prog=PROG, description="kubelab API server")
