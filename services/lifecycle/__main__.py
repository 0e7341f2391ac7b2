"""`python -m services.lifecycle`: the garbage collector, the namespace controller, the node lifecycle and
taint-eviction controllers, and with --allocate-node-cidrs the node IPAM range allocator.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level,
--concurrent-gc-syncs, --concurrent-namespace-syncs, --node-monitor-period (5s),
--node-monitor-grace-period (50s), --node-startup-grace-period (60s), --allocate-node-cidrs, --cluster-cidr,
--node-cidr-mask-size (24), --leader-elect (Lease kube-system/lifecycle) with --leader-elect-lease-duration/
-renew-deadline/-retry-period/-resource-name/-resource-namespace/-identity, --shutdown-grace.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.config import new_config
from kubelab.controller import Controller
from kubelab.fielderrors import FieldError
from kubelab.process import Process, ProcessConfig, run
from services.lifecycle.garbage_collector import GarbageCollector
from services.lifecycle.namespace import NamespaceController
from services.lifecycle.node_ipam import NodeIpam
from services.lifecycle.node_ipam_decisions import cluster_cidr_errors
from services.lifecycle.node_lifecycle import NodeLifecycle, TaintEviction

COMPONENT = "lifecycle"


@dataclass(frozen=True)
class Config(ProcessConfig):
    concurrent_gc_syncs: int = 20
    """Objects the garbage collector processes at once (kube-controller-manager's default)."""
    concurrent_namespace_syncs: int = 10
    """Namespaces the namespace controller empties at once (kube-controller-manager's default)."""
    node_monitor_period: float = 5.0
    """Seconds between two looks at a node's heartbeat (Lease renewTime, Ready lastHeartbeatTime)."""
    node_monitor_grace_period: float = 50.0
    """Seconds without a heartbeat before a node's conditions go Unknown and it is tainted unreachable."""
    node_startup_grace_period: float = 60.0
    """Seconds a node that never reported Ready gets from its creation before it is marked Unknown."""
    allocate_node_cidrs: bool = False
    """Give every Node a pod CIDR (spec.podCIDR) from --cluster-cidr."""
    cluster_cidr: str = ""
    """The cluster's pod range (with --allocate-node-cidrs), e.g. 198.18.0.0/16."""
    node_cidr_mask_size: int = 24
    """The size of each node's pod range within --cluster-cidr."""

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if self.allocate_node_cidrs:
            errors += cluster_cidr_errors(self.cluster_cidr, self.node_cidr_mask_size)
        return errors


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    collector = GarbageCollector(proc.client, proc.informers)
    # The Controller needs a kind of its own: Namespace, whose keys are plain names (see garbage_collector).
    proc.add_controller(Controller("garbagecollector", collector, proc.informers, for_kind="Namespace",
                                   watches=collector.watches(), workers=cfg.concurrent_gc_syncs))
    namespaces = NamespaceController(proc.client, proc.informers)
    proc.add_controller(Controller("namespace", namespaces, proc.informers, for_kind="Namespace",
                                   watches=namespaces.watches(), workers=cfg.concurrent_namespace_syncs))
    nodes = NodeLifecycle(proc.client, proc.informers, proc.recorder("node-controller"),
                          monitor_period=cfg.node_monitor_period, grace=cfg.node_monitor_grace_period,
                          startup_grace=cfg.node_startup_grace_period)
    proc.add_controller(Controller("nodelifecycle", nodes, proc.informers, for_kind="Node",
                                   watches=nodes.watches()))
    proc.add_runnable("nodelifecycle-term", nodes.lead)
    if cfg.allocate_node_cidrs:
        ipam = NodeIpam(proc.client, proc.informers, proc.recorder("cidrAllocator"),
                        cluster_cidr=cfg.cluster_cidr, mask=cfg.node_cidr_mask_size)
        proc.add_controller(Controller("nodeipam", ipam, proc.informers, for_kind="Node"))
    eviction = TaintEviction(proc.client, proc.informers, proc.recorder("taint-eviction-controller"))
    proc.add_controller(Controller("tainteviction", eviction, proc.informers, for_kind="Pod",
                                   watches=eviction.watches(), workers=4))


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.lifecycle",
                     description="The garbage collector (deletes or orphans the dependents of deleted owners) and the "
                                 "namespace controller (empties terminating namespaces).")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
