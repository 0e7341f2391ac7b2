"""`python -m services.lifecycle`: the garbage collector and the namespace controller.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level,
--concurrent-gc-syncs, --concurrent-namespace-syncs, --leader-elect (Lease kube-system/lifecycle) with --leader-elect-lease-duration/
-renew-deadline/-retry-period/-resource-name/-resource-namespace/-identity, --shutdown-grace.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.controller import Controller
from kubelab.process import Process, ProcessConfig, new_config, run
from services.lifecycle.garbage_collector import GarbageCollector
from services.lifecycle.namespace import NamespaceController

COMPONENT = "lifecycle"


@dataclass(frozen=True)
class Config(ProcessConfig):
    concurrent_gc_syncs: int = 20
    """Objects the garbage collector processes at once (kube-controller-manager's default)."""
    concurrent_namespace_syncs: int = 10
    """Namespaces the namespace controller empties at once (kube-controller-manager's default)."""


def setup(cfg: Config):
    def build(proc: Process) -> None:
        collector = GarbageCollector(proc.client, proc.informers)
        # The Controller needs a kind of its own: Namespace, whose keys are plain names (see garbage_collector).
        proc.add_controller(Controller("garbagecollector", collector, proc.informers, for_kind="Namespace",
                                       watches=collector.watches(), workers=cfg.concurrent_gc_syncs))
        namespaces = NamespaceController(proc.client, proc.informers)
        proc.add_controller(Controller("namespace", namespaces, proc.informers, for_kind="Namespace",
                                       watches=namespaces.watches(), workers=cfg.concurrent_namespace_syncs))
    return build


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.lifecycle",
                     description="The garbage collector (deletes or orphans the dependents of deleted owners) and the "
                                 "namespace controller (empties terminating namespaces).")
    run(COMPONENT, cfg, setup(cfg))


if __name__ == "__main__":
    main()
