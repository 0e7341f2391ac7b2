"""`python -m services.replicaset`: the Deployment and ReplicaSet controllers in one process.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level,
--concurrent-deployment-syncs, --concurrent-replicaset-syncs, --leader-elect (Lease kube-system/replicaset)
with --leader-elect-lease-duration/-renew-deadline/-retry-period/-resource-name/-resource-namespace/
-identity, --shutdown-grace. `--help` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.config import new_config
from kubelab.controller import Controller
from kubelab.process import Process, ProcessConfig, run
from services.replicaset.deployment import DeploymentReconciler
from services.replicaset.replica_set import ReplicaSetReconciler

COMPONENT = "replicaset"


@dataclass(frozen=True)
class Config(ProcessConfig):
    concurrent_deployment_syncs: int = 5
    """Deployments synced at once (one Deployment is never synced by two workers)."""
    concurrent_replicaset_syncs: int = 5
    """ReplicaSets synced at once."""


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    rs = ReplicaSetReconciler(proc.client, proc.informers, proc.recorder("replicaset-controller"))
    proc.add_controller(Controller("replicaset", rs, proc.informers, for_kind="ReplicaSet",
                                   watches=[("Pod", rs.pod_keys)], workers=cfg.concurrent_replicaset_syncs))
    dep = DeploymentReconciler(proc.client, proc.informers, proc.recorder("deployment-controller"))
    proc.add_controller(Controller("deployment", dep, proc.informers, for_kind="Deployment",
                                   watches=[("ReplicaSet", dep.replica_set_keys), ("Pod", dep.pod_keys)],
                                   workers=cfg.concurrent_deployment_syncs))


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.replicaset",
                     description="The Deployment and ReplicaSet controllers.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
