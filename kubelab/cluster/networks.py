"""Pod networks of the local clusters on this machine, so that two clusters' pods never share an address.

Pods get loopback addresses: node-N of a cluster with pod network K takes pod IPs from `127.K.N.0/24`
(docs/conventions.md; the kubelet's own default is K = 1). Two clusters side by side must not both use
K = 1, or a pod listening on port 80 in one would take the address of a pod in the other. Each `up`
claims a K for its state dir in a machine-wide table (a small JSON file under a lock): its recorded K if
no other cluster holds it, else the lowest free one. Entries of state dirs that no longer exist (purged)
are dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

from kubelab.cluster.state import write_atomic

__all__ = ["NETWORKS_ENV", "claim_pod_network", "pod_cidr", "release_pod_network", "table_path"]

NETWORKS_ENV = "KUBELAB_NETWORKS_FILE"
FIRST, LAST = 1, 254


def table_path() -> Path:
    """The machine-wide table: env KUBELAB_NETWORKS_FILE, else one per user in the temp dir."""
    return Path(os.environ.get(NETWORKS_ENV) or Path(tempfile.gettempdir()) / f"kubelab-{os.getuid()}" / "pod-networks.json")


def pod_cidr(network: int, node_index: int) -> str:
    """The /24 of node `node_index` (1-based) in pod network `network`."""
    if not (FIRST <= network <= LAST and 1 <= node_index <= 255):
        raise ValueError(f"pod network {network}, node {node_index}: out of range")
    return f"127.{network}.{node_index}.0/24"


@contextlib.contextmanager
def _locked_table(path: Path) -> Iterator[dict[str, str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            table = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            table = {}  # a damaged table only costs the reuse of numbers of live clusters until their next up
        live = {k: v for k, v in table.items() if (Path(v) / "cluster.json").is_file()}
        yield live
        write_atomic(path, json.dumps(live, indent=2, sort_keys=True) + "\n")


def claim_pod_network(state_dir: Path, recorded: int = 0, path: Path | None = None) -> int:
    """The pod network of the cluster in state_dir: `recorded` if still free, else the lowest free one."""
    me = str(Path(state_dir).absolute())
    with _locked_table(path or table_path()) as table:
        for key in [k for k, v in table.items() if v == me]:
            del table[key]
        taken = {int(k) for k in table}
        if FIRST <= recorded <= LAST and recorded not in taken:
            choice = recorded
        else:
            choice = next((n for n in range(FIRST, LAST + 1) if n not in taken), 0)
            if not choice:
                raise RuntimeError(f"all {LAST} pod networks are taken (see {path or table_path()})")
        table[str(choice)] = me
    return choice


def release_pod_network(state_dir: Path, path: Path | None = None) -> None:
    """Forget the state dir's claim (after `down --purge`)."""
    me = str(Path(state_dir).absolute())
    with _locked_table(path or table_path()) as table:
        for key in [k for k, v in table.items() if v == me]:
            del table[key]
