"""python -m services.scheduler --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ..."""
from __future__ import annotations

from kubelab.config import new_config
from kubelab.process import Process, run
from services.scheduler.config import Config
from services.scheduler.metrics import register_metrics
from services.scheduler.scheduler import Scheduler

COMPONENT = "scheduler"


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    sched = Scheduler(proc.client, proc.informers, cfg.options(), stopping=proc.stopping)
    register_metrics(proc.metrics, sched)
    proc.add_runnable("scheduler", sched.run, leader_only=True)


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.scheduler",
                     description="kubelab's kube-scheduler: binds pending pods to nodes.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
