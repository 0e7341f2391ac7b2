"""The scheduler process's configuration: the skeleton's flags plus the scheduler's own."""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.process import ProcessConfig
from services.scheduler.scheduler import SchedulerOptions

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ProcessConfig):
    scheduler_name: str = "default-scheduler"
    """Schedule the pods whose spec.schedulerName is this; leave the others alone."""
    bind_timeout: float = 600.0
    """Seconds PreBind waits for a pod's claims to be bound before sending the pod back (VolumeBinding bindTimeoutSeconds)."""
    percentage_of_nodes_to_score: int = 0
    """Share of the nodes searched for feasible ones in big clusters; 0: adaptive (50 percent minus 1 per 125 nodes, at least 5)."""
    pod_initial_backoff: float = 1.0
    """Seconds a pod waits after its first failed attempt (doubling per attempt)."""
    pod_max_backoff: float = 10.0
    """Longest backoff of a pod, in seconds."""

    def options(self) -> SchedulerOptions:
        return SchedulerOptions(self.scheduler_name, self.bind_timeout, self.percentage_of_nodes_to_score,
                                self.pod_initial_backoff, self.pod_max_backoff)
