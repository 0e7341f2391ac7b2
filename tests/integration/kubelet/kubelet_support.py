"""A real kubelet process for integration tests, and helpers to wait for what it does (never fixed sleeps)."""
from __future__ import annotations

import asyncio
import ipaddress
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from kubelab.client import Client
from kubelab.cluster.healthcheck import SERVING, check_health
from kubelab.cluster.networks import AddressRanges, claim_ranges
from kubelab.cluster.state import StateDir
from kubelab.network import cluster_id
from kubelab.podnet import gateway, remove_cluster_network
from kubelab.errors import ApiError, is_not_found
from tests import support
from tests.support import ROOT, free_port, wait_until

__all__ = ["KubeletProcess", "wait_for", "wait_pod", "wait_gone", "run_cli", "container_state", "pod_events",
           "condition", "shims_of"]


class KubeletProcess:
    def __init__(self, apiserver: str, cluster_dir: Path, node: str = "node-1", *args: str,
                 backoff_scale: float = 0.1, heartbeat: float = 1.0):
        self.apiserver, self.cluster_dir, self.node = apiserver, cluster_dir, node
        self.root = cluster_dir / "nodes" / node
        self.port = free_port()
        # Pod networks share this machine's routing table: a range of its own, claimed as `kubelab up` claims
        # one, so that clusters other tests (or people) run at the same time never hold our pods' addresses.
        self.cluster_id = cluster_id(str(cluster_dir))
        self.pod_cidr = node_range(cluster_dir, node)
        self.node_ip = gateway(self.pod_cidr)
        self.args = ["--node-name", node, "--root-dir", str(self.root), "--cluster-dir", str(cluster_dir),
                     "--pod-cidr", self.pod_cidr, "--cluster-id", self.cluster_id,
                     "--apiserver", apiserver, "--listen", f"127.0.0.1:{self.port}",
                     "--backoff-scale", str(backoff_scale), "--heartbeat-interval", str(heartbeat),
                     "--orphan-cleanup-interval", "1", *args]
        self.log = Path(tempfile.mkstemp(prefix=f"kl-kubelet-{node}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> "KubeletProcess":
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "services.kubelet", *self.args], cwd=ROOT, env=env,
                                         stdout=log, stderr=log, start_new_session=True)
        if wait:
            self.wait_serving()
        return self

    def wait_serving(self, timeout: float = 30.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"kubelet exited: {self.logs()[-3000:]}")
            return check_health(self.address, timeout=0.5) == SERVING
        wait_until(ready, timeout, interval=0.05, what=f"kubelet {self.node} SERVING")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            return self.proc.wait(20)
        return self.proc.returncode if self.proc else None

    def logs(self) -> str:
        return self.log.read_text()

    def remove_network(self) -> None:
        """What `kubelab down` does for the node: its pod namespaces, veths and bridge go."""
        remove_cluster_network(self.cluster_id, self.node)


def node_range(cluster_dir: Path, node: str) -> str:
    """node-N's /24 of the pod range claimed for cluster_dir (made a state dir, so that the claim holds)."""
    sd = StateDir(cluster_dir)
    with sd.locked():
        state = sd.load()
        recorded = AddressRanges(state.pod_cidr, state.service_cidr) if state.pod_cidr else None
        ranges = claim_ranges(cluster_dir, recorded) if sd.exists() else None
        if ranges is None:
            sd.save(state)  # cluster.json first: claims of dirs without one are dropped
            ranges = claim_ranges(cluster_dir)
        state.pod_cidr, state.service_cidr = ranges.pods, ranges.services
        sd.save(state)
    pods = ipaddress.ip_network(ranges.pods)
    suffix = node.rsplit("-", 1)[-1]
    index = int(suffix) if suffix.isdigit() else zlib.crc32(node.encode())
    blocks = pods.subnets(new_prefix=24)
    return str(next(itertools.islice(blocks, index % 2 ** (24 - pods.prefixlen), None)))


def shims_of(root: Path) -> list[int]:
    """Pids of the container shims recorded under a node root (to clean up after a test)."""
    import json
    pids = []
    for shim in root.glob("var/lib/kubelet/pods/*/containers/*/*/shim.json"):
        try:
            pids.append(json.loads(shim.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            pass
    return pids


def kill_shims(root: Path) -> None:
    import json
    for state in root.glob("var/lib/kubelet/pods/*/containers/*/*/state.json"):
        try:
            os.killpg(json.loads(state.read_text())["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


async def wait_for(cond, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """`tests.support.wait_for` retrying on API errors too (the object may not exist yet)."""
    return await support.wait_for(cond, timeout, what, interval=interval, retry_on=(ApiError,))


async def wait_pod(client: Client, name: str, pred, timeout: float = 20.0, namespace: str = "default",
                   what: str = ""):
    """The pod once pred(pod) holds."""
    async def check():
        pod = await client.get("Pod", name, namespace)
        return pod if pred(pod) else None
    return await wait_for(check, timeout, what=what or f"pod {name}")


async def wait_gone(client: Client, kind: str, name: str, namespace: str = "default", timeout: float = 20.0):
    async def gone():
        try:
            await client.get(kind, name, namespace)
            return False
        except ApiError as e:
            if is_not_found(e):
                return True
            raise
    await wait_for(gone, timeout, what=f"{kind} {name} gone")


def container_state(pod, name: str | None = None):
    """(state name, reason or exit code) of a container's status."""
    for cs in list(pod.status.container_statuses) + list(pod.status.init_container_statuses):
        if name is None or cs.name == name:
            for state in ("running", "waiting", "terminated"):
                if cs.state.HasField(state):
                    detail = getattr(cs.state, state)
                    return state, getattr(detail, "reason", ""), cs
            return None, "", cs
    return None, "", None


def condition(pod, ctype: str) -> str:
    return next((c.status for c in pod.status.conditions if c.type == ctype), "")


async def pod_events(client: Client, name: str, namespace: str = "default") -> list:
    events, _ = await client.list("Event", namespace)
    return [e for e in events if e.involved_object.name == name]


async def run_cli(server: str, *args: str, stdin: bytes | None = None, timeout: float = 30.0
                  ) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelab.cli.main", "--server", server, *args, cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    return proc.returncode, out.decode(), err.decode()
