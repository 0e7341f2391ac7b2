"""What every pod worker of one node shares: the node's identity, its directories, its pod network and
IP pool (None until the node has its podCIDR), the runtime, the event recorder, the status manager,
volume lookups and the back-off table."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kubelab.events import EventRecorder
from services.kubelet.backoff import Backoff
from services.kubelet.ipam import Ipam
from services.kubelet.paths import NodePaths
from services.kubelet.podnetwork import NodeNetwork
from services.kubelet.runtime.runtime import ContainerRuntime
from services.kubelet.statusmanager import StatusManager
from services.kubelet.volumes import VolumeLookups

__all__ = ["PodContext"]


@dataclass
class PodContext:
    node_name: str
    host_ip: str
    paths: NodePaths
    cluster_dir: Path
    runtime: ContainerRuntime
    ipam: Ipam | None
    events: EventRecorder
    status: StatusManager
    lookups: VolumeLookups
    client: object
    backoff: Backoff = field(default_factory=Backoff)
    allocatable: dict[str, str] = field(default_factory=dict)
    python_dir: str = ""
    builtin_dir: Path = Path("/nonexistent")
    cluster_dns: str = ""
    cluster_domain: str = "cluster.local"
    attach_mount_timeout: float = 120.0
    """Seconds a pod waits for volumes to be attached before a FailedMount event (--attach-mount-timeout)."""
    network: NodeNetwork | None = None
    network_error: str = ""
    """Why the node has no pod network yet (the pods' NetworkNotReady events say it)."""
