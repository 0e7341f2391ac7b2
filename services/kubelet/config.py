"""The kubelet's configuration: one frozen dataclass filled from flags and KUBELAB_* environment.

Flags the launcher does not pass get defaults derived from the ones it does (docs/conventions.md):
`--cluster-dir` is the parent of `<cluster-dir>/nodes/<node>` (the root dir), `--cluster-id` names the
cluster's kernel objects (from `$KUBELAB_STATE_DIR`, else the cluster dir). The pod CIDR is the Node's
`spec.podCIDR` (allocated by the node lifecycle controller), unless `--pod-cidr` sets it at registration;
the node's address (`--node-ip`) defaults to the `.1` of it: the gateway on the node's bridge.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path

from kubelab import fielderrors, quantity
from kubelab.fielderrors import FieldError
from kubelab.network import cluster_id
from kubelab.process import ProcessConfig
from kubelab.skeleton import check_config

__all__ = ["KubeletConfig", "complete_config"]


@dataclass(frozen=True)
class KubeletConfig(ProcessConfig):
    node_name: str = "node-1"
    """Name of the Node this kubelet registers (with --hollow: the prefix of the N node names)."""
    root_dir: str = ""
    """The node's root directory (<cluster-dir>/nodes/<node>); hostPath volumes resolve inside it."""
    cluster_dir: str = ""
    """The cluster's state dir (disks/ and shared/ live there); default: two levels above --root-dir."""
    pod_cidr: str = ""
    """The node's pod range, written to the Node at registration (as the kubelet's standalone --pod-cidr);
    empty: wait for the node lifecycle controller to allocate spec.podCIDR."""
    node_ip: str = ""
    """The node's InternalIP, where it serves logs and exec; default: the .1 of the pod CIDR (the gateway
    on the node's bridge). A host name is resolved (in docker compose, the node's service name)."""
    cluster_id: str = ""
    """Names the cluster's kernel objects (kl<id>-br<N>, ...); default cluster_id($KUBELAB_STATE_DIR),
    else of --cluster-dir."""
    host_gw: bool = False
    """Route the other nodes' pod CIDRs via their InternalIPs (docker compose: every node its own network
    namespace); locally all bridges share the host's and need no routes."""
    cpu: str = "4"
    """CPU capacity reported in the Node's status."""
    memory: str = "8Gi"
    """Memory capacity reported in the Node's status."""
    max_pods: int = 110
    """Pod capacity reported in the Node's status."""
    heartbeat_interval: float = 10.0
    """Seconds between renewals of the node's Lease in kube-node-lease."""
    node_status_report_frequency: float = 60.0
    """Seconds after which the node status is written even when nothing changed."""
    backoff_scale: float = 1.0
    """Multiplies CrashLoopBackOff's delays (10s doubling to 5m); 0.1 makes tests ten times faster."""
    hollow: int = 0
    """Register this many nodes (<node-name>-1 ... -N) whose pods run without processes."""
    cluster_dns: str = ""
    """Nameserver written to pods' resolv.conf (dnsPolicy ClusterFirst); empty: the host's nameservers."""
    cluster_domain: str = "cluster.local"
    """The cluster's DNS domain (search paths and pod FQDNs)."""
    attach_mount_timeout: float = 120.0
    """Seconds a pod waits for its volumes to be attached and mounted before a FailedMount event
    (Kubernetes' podAttachAndMountTimeout, 2 minutes); tests shorten it."""
    orphan_cleanup_interval: float = 10.0
    """Seconds between sweeps for containers whose pod no longer exists."""
    kill_containers: bool = False
    """Do not run: kill every container recorded under --root-dir, then exit (for `kubelab down`)."""

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if not self.node_name:
            errors.append(fielderrors.required("--node-name"))
        if self.pod_cidr:
            try:
                if ipaddress.ip_network(self.pod_cidr, strict=False).num_addresses < 4:
                    errors.append(fielderrors.invalid("--pod-cidr", self.pod_cidr, "too small (at least a /30)"))
            except ValueError as e:
                errors.append(fielderrors.invalid("--pod-cidr", self.pod_cidr, str(e)))
        for name, value in (("--cpu", self.cpu), ("--memory", self.memory)):
            try:
                quantity.parse_quantity(value)
            except quantity.QuantityError as e:
                errors.append(fielderrors.invalid(name, value, str(e)))
        for name, value in (("--heartbeat-interval", self.heartbeat_interval),
                            ("--attach-mount-timeout", self.attach_mount_timeout)):
            if value <= 0:
                errors.append(fielderrors.invalid(name, value, "must be greater than zero"))
        if self.backoff_scale < 0:
            errors.append(fielderrors.invalid("--backoff-scale", self.backoff_scale, "must not be negative"))
        return errors


def complete_config(cfg: KubeletConfig) -> KubeletConfig:
    """Check the values (SystemExit with what is wrong), then fill the derived defaults."""
    check_config("kubelet", cfg)
    root = cfg.root_dir or f"nodes/{cfg.node_name}"
    cluster = cfg.cluster_dir or str(Path(root).resolve().parent.parent)
    net = ipaddress.ip_network(cfg.pod_cidr, strict=False) if cfg.pod_cidr else None
    # Without --node-ip the address is the gateway of the Node's podCIDR, known once the Node has one (it
    # may differ from --pod-cidr: a Node that exists keeps its own, as upstream).
    node_ip = cfg.node_ip
    if cfg.hollow and not cfg.node_ip:
        node_ip = "127.0.0.1"  # hollow nodes have no network (no bridge): logs and exec only say so
    if node_ip:
        try:
            ipaddress.ip_address(node_ip)
        except ValueError:
            try:
                node_ip = socket.gethostbyname(node_ip)
            except OSError as e:
                raise SystemExit(f"kubelet: --node-ip {node_ip}: cannot resolve it: {e}") from None
    state_dir = os.environ.get("KUBELAB_STATE_DIR") or cluster
    return replace(cfg, root_dir=str(Path(root).resolve()), cluster_dir=str(Path(cluster).resolve()),
                   pod_cidr=str(net) if net is not None else "", node_ip=node_ip,
                   cluster_id=cfg.cluster_id or cluster_id(state_dir))
