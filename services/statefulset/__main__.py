"""`python -m services.statefulset`: the StatefulSet controller process.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level, --workers,
--leader-elect (Lease kube-system/statefulset) with --leader-elect-lease-duration/-renew-deadline/
-retry-period/-resource-name/-resource-namespace/-identity, --shutdown-grace. `--help` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.config import new_config
from kubelab.controller import Controller
from kubelab.process import Process, ProcessConfig, run
from services.statefulset.stateful_set import StatefulSetReconciler

COMPONENT = "statefulset"


@dataclass(frozen=True)
class Config(ProcessConfig):
    workers: int = 5
    """StatefulSets synced at once (one set is never synced by two workers)."""


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    rec = StatefulSetReconciler(proc.client, proc.informers, proc.recorder("statefulset-controller"))
    proc.add_controller(Controller(COMPONENT, rec, proc.informers, for_kind="StatefulSet",
                                   owns=["ControllerRevision"],
                                   watches=[("Pod", rec.pod_keys), ("PersistentVolumeClaim", rec.claim_keys)],
                                   workers=cfg.workers))


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.statefulset",
                     description="The StatefulSet controller: ordered pods with stable names and their own claims.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
