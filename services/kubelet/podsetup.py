"""Everything a pod needs on the node before its containers run, and each container's run spec.

- the pod record (`pod.json`: IP, start time) that survives kubelet restarts;
- the pod's /etc/hosts and /etc/resolv.conf, bind-mounted into each container;
- each container's mounts: its volumeMounts (subPath and subPathExpr inside the volume, created when
  missing, as Kubernetes does; readOnly), the pod files, and the built-in commands at /.kubelab;
- the run spec: argv, environment, working directory, hostname.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from kubelab.api.v1 import core_pb2
from services.kubelet import builtin, images
from services.kubelet.envvars import EnvLookups, container_env, expand
from services.kubelet.hostfiles import hosts_file, pod_hostname, resolv_conf
from services.kubelet.hostpath import secure_join
from services.kubelet.paths import NodePaths
from services.kubelet.runtime.records import read_json, write_json
from services.kubelet.runtime.runtime import Mount, RunSpec
from services.kubelet.volumes import VolumeSource

__all__ = ["PodRecord", "load_pod_record", "save_pod_record", "write_pod_files", "container_mounts",
           "new_run_spec", "MountError", "spec_hash"]


@dataclass
class PodRecord:
    uid: str
    namespace: str
    name: str
    pod_ip: str
    start_time: float

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def load_pod_record(paths: NodePaths, uid: str) -> PodRecord | None:
    doc = read_json(paths.pod_record(uid))
    try:
        return PodRecord(**doc) if doc else None
    except TypeError:
        return None


def save_pod_record(paths: NodePaths, rec: PodRecord) -> None:
    paths.pod_dir(rec.uid).mkdir(parents=True, exist_ok=True)
    write_json(paths.pod_record(rec.uid), asdict(rec))


def write_pod_files(paths: NodePaths, pod: core_pb2.Pod, pod_ip: str, cluster_dns: str,
                    cluster_domain: str) -> list[Mount]:
    """Write the pod's hosts and resolv.conf; the mounts that put them in place."""
    pod_dir = paths.pod_dir(pod.metadata.uid)
    pod_dir.mkdir(parents=True, exist_ok=True)
    try:
        host_resolv = Path("/etc/resolv.conf").read_text()
    except OSError:
        host_resolv = ""
    files = {"etc-hosts": ("/etc/hosts", hosts_file(pod, pod_ip, cluster_domain)),
             "resolv.conf": ("/etc/resolv.conf", resolv_conf(pod, host_resolv, cluster_dns, cluster_domain)),
             "hostname": ("/etc/hostname", pod_hostname(pod) + "\n")}
    mounts = []
    for name, (target, text) in files.items():
        path = pod_dir / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_name(name + ".tmp")
            tmp.write_text(text)
            tmp.replace(path)
        if name == "etc-hosts" and pod.spec.host_network:
            continue
        mounts.append(Mount(str(path), target))
    return mounts


class MountError(Exception):
    """A volumeMount that cannot be set up (unknown volume, bad subPath)."""


def container_mounts(container: core_pb2.Container, sources: dict[str, VolumeSource], env: dict[str, str],
                     pod_files: list[Mount], builtin_dir: Path) -> list[Mount]:
    mounts: list[Mount] = []
    for vm in container.volume_mounts:
        src = sources.get(vm.name)
        if src is None:
            raise MountError(f'volume "{vm.name}" not found in the pod\'s volumes')
        path = src.path
        sub = expand(vm.sub_path_expr, env) if vm.sub_path_expr else vm.sub_path
        if sub:
            if sub.startswith("/") or ".." in Path(sub).parts:
                raise MountError(f'subPath "{sub}" must be a relative path without ".."')
            path = secure_join(src.path, sub)
            if not path.exists():
                path.mkdir(mode=0o755, parents=True, exist_ok=True)
        mounts.append(Mount(str(path), vm.mount_path, vm.read_only or src.read_only))
    taken = {m.target for m in mounts}
    mounts += [m for m in pod_files if m.target not in taken]
    mounts.append(Mount(str(builtin_dir), builtin.MOUNT_POINT, read_only=True))
    return mounts


def spec_hash(container: core_pb2.Container) -> str:
    """Changes when the container's definition changes (only the image is mutable on a pod)."""
    return hashlib.sha256(container.SerializeToString(deterministic=True)).hexdigest()[:16]


def new_run_spec(pod: core_pb2.Pod, container: core_pb2.Container, attempt: int, *, pod_ip: str, host_ip: str,
                 allocatable: dict[str, str], python_dir: str, sources: dict[str, VolumeSource],
                 pod_files: list[Mount], builtin_dir: Path, lookups: EnvLookups | None = None,
                 warnings: list[str] | None = None, netns: str = "") -> RunSpec:
    """Raises EnvError, NoCommand or MountError when the container cannot be created; `warnings` collects
    the environment's InvalidEnvironmentVariableNames messages."""
    hostname = pod_hostname(pod)
    env = container_env(pod, container, pod_ip=pod_ip, host_ip=host_ip, hostname=hostname,
                        allocatable=allocatable, extra_path=python_dir, lookups=lookups, warnings=warnings)
    command = images.container_command(container)
    if command.builtin == "nginx" or images.builtin_of(container.image) == "nginx":
        ports = [str(p.container_port) for p in container.ports if (p.protocol or "TCP") == "TCP"]
        env.setdefault("KUBELAB_NGINX_PORTS", ",".join(ports) or "80")
        # in the pod's own namespace, every address as the real nginx; on the host's, only the node's
        env.setdefault("KUBELAB_NGINX_HOST", pod_ip if pod.spec.host_network else "0.0.0.0")
    run_env = dict(env)
    run_env["PATH"] = f"{builtin.MOUNT_POINT}/bin:" + env["PATH"]
    argv = [expand(a, env) for a in command.argv]
    mounts = container_mounts(container, sources, env, pod_files, builtin_dir)
    return RunSpec(uid=pod.metadata.uid, namespace=pod.metadata.namespace, pod=pod.metadata.name,
                   container=container.name, attempt=attempt, argv=argv, env=run_env,
                   working_dir=container.working_dir or "/", hostname=hostname, mounts=mounts,
                   spec_hash=spec_hash(container), netns=netns, stdin=container.stdin,
                   stdin_once=container.stdin_once)
