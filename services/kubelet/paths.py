"""Where a node keeps its pods on disk, inside the node's root directory (Kubernetes' own layout).

    <root>/var/lib/kubelet/pods/<uid>/pod.json                   the pod record (name, IP, start time)
    <root>/var/lib/kubelet/pods/<uid>/etc-hosts, resolv.conf     files bind-mounted into containers
    <root>/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<volume>
    <root>/var/lib/kubelet/pods/<uid>/containers/<name>/<attempt>/   one run of a container:
        spec.json (what the shim runs), state.json (pid, start time), exit.json (exit code, end time)
    <root>/var/log/pods/<namespace>_<pod>_<uid>/<container>/<attempt>.log   its stdout and stderr
    <root>/var/lib/kubelet/builtin/bin/                          built-in image commands (nginx, pause)

`attempt` is the container's restartCount when it started, so `attempt - 1` is the previous instance.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["NodePaths", "EMPTY_DIR_PLUGIN"]

EMPTY_DIR_PLUGIN = "kubernetes.io~empty-dir"


@dataclass(frozen=True)
class NodePaths:
    root: Path
    """The node's root directory."""

    @property
    def pods(self) -> Path:
        return self.root / "var" / "lib" / "kubelet" / "pods"

    @property
    def builtin(self) -> Path:
        return self.root / "var" / "lib" / "kubelet" / "builtin"

    @property
    def pod_logs(self) -> Path:
        return self.root / "var" / "log" / "pods"

    def pod_dir(self, uid: str) -> Path:
        return self.pods / uid

    def pod_record(self, uid: str) -> Path:
        return self.pod_dir(uid) / "pod.json"

    def empty_dir(self, uid: str, volume: str) -> Path:
        return self.pod_dir(uid) / "volumes" / EMPTY_DIR_PLUGIN / volume

    def container_dir(self, uid: str, container: str) -> Path:
        return self.pod_dir(uid) / "containers" / container

    def run_dir(self, uid: str, container: str, attempt: int) -> Path:
        return self.container_dir(uid, container) / str(attempt)

    def log_dir(self, namespace: str, name: str, uid: str) -> Path:
        return self.pod_logs / f"{namespace}_{name}_{uid}"

    def log_file(self, namespace: str, name: str, uid: str, container: str, attempt: int) -> Path:
        return self.log_dir(namespace, name, uid) / container / f"{attempt}.log"

    def host_path(self, path: str) -> Path:
        """A node path (`/mnt/data`) as a host path, lexically (see volumes.secure_join for symlinks)."""
        return self.root / path.lstrip("/")
