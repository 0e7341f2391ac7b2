"""The provisioner's configuration: flags (`--cluster-dir`), else environment (`KUBELAB_CLUSTER_DIR`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kubelab.process import ProcessConfig

__all__ = ["Config"]


@dataclass(frozen=True)
class Config(ProcessConfig):
    cluster_dir: str = ""
    """The cluster's state dir: node roots under nodes/, network disks under disks/, shared volumes under
    shared/. Empty: $KUBELAB_STATE_DIR, else the current directory."""
    pvclaimbinder_sync_period: float = 15.0
    """Seconds between two syncs of every claim and volume by the binder (Kubernetes' default: 15s)."""
    workers: int = 4
    """Claims provisioned (and volumes deleted) at the same time."""
    provision_latency: float = 0.0
    """Seconds an emulated storage backend takes between making a volume's directory and its PV object:
    the window in which killing the provisioner leaves a directory without a volume (for labs)."""
    orphan_sweep_period: float = 60.0
    """Seconds between two sweeps for volume directories whose PV will never exist."""
    attach_resync_period: float = 10.0
    """Seconds between two checks of a volume kept waiting by a Multi-Attach error."""

    def cluster_path(self) -> Path:
        return Path(self.cluster_dir or os.environ.get("KUBELAB_STATE_DIR") or ".").resolve()
