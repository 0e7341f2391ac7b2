"""The state dir: where one local cluster keeps its records, logs, Redis data and node roots.

Layout of a state dir::

    cluster.json        the records below (other commands find the cluster through it)
    proxy.json          the partition proxy's routes, written by the launcher, read by the proxy
    lock                flock(2)ed by every command that changes the cluster
    ui.url              where the web view (services/ui) serves its page, written by it once listening
    journal.jsonl       what the launcher did to which process, when (kubelab/cluster/journal.py)
    logs/<name>.log     one log per process (redis, proxy, apiserver, scheduler, node-1, ...)
    redis/              embedded Redis' append-only file
    nodes/<node>/       each node's root directory

`cluster.json` (version 1)::

    {
      "version": 1,
      "nodes": 3,                                   # kubelets node-1..node-N
      "redis_url": "redis://127.0.0.1:41234/0",     # the real Redis (embedded or --redis)
      "embedded_redis": true,
      "bootstrapped": true,                         # default StorageClasses created
      "replicas": {"scheduler": 2},                 # `up --replicas`: copies of leader-elected components
      "apiserver_workers": 1,                       # `up --apiserver-workers`: processes behind its address
      "pod_cidr": "198.18.0.0/16",                  # pods (a /24 per node, allocated by lifecycle)
      "service_cidr": "198.19.0.0/16",              # ClusterIPs (kube-dns is index 10)
      "processes": {                                # one per process the launcher runs
        "apiserver": {
          "module": "services.apiserver",
          "listen": "127.0.0.1:41236",              # gRPC API + health (redis: its port; proxy: control)
          "upstream": "redis://127.0.0.1:41237/0",  # through the proxy; "" for redis and proxy
          "route_listen": "127.0.0.1:41237",        # the proxy port in its upstream path, if any
          "pid": 12345, "start_time": 8812345,      # start_time: /proc/<pid>/stat field 22
          "desired": "running",                     # running | stopped | killed
          "identity": "host_scheduler-1_1f2e3d4c"   # its leader-election identity (this start's)
        }, ...
      }
    }

Ports are kept across `down`/`up` so addresses stay stable, and re-chosen only if taken meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

__all__ = [
    "STATE_DIR_ENV",
    "ClusterState",
    "ProcessRecord",
    "StateDir",
    "find_apiserver",
    "apiserver_addresses",
    "resolve_state_dir",
]

STATE_DIR_ENV = "KUBELAB_STATE_DIR"
VERSION = 1


def resolve_state_dir(arg: str | os.PathLike | None = None, environ: dict | None = None) -> Path:
    """`--state-dir`, else env KUBELAB_STATE_DIR, else ~/.kubelab; made absolute."""
    env = os.environ if environ is None else environ
    raw = arg or env.get(STATE_DIR_ENV) or "~/.kubelab"
    return Path(raw).expanduser().absolute()


@dataclass
class ProcessRecord:
    """What the launcher knows about one process it runs."""

    module: str = ""
    listen: str = ""
    upstream: str = ""
    route_listen: str = ""
    metrics_listen: str = ""
    http_listen: str = ""
    """The API server's Kubernetes HTTP API (kubectl's address, in `<state-dir>/kubeconfig`)."""
    pid: int = 0
    start_time: int = 0
    desired: str = "running"
    identity: str = ""
    """The leader-election identity the launcher gave this start of it (`ps` finds the leader by it)."""

    @classmethod
    def from_dict(cls, d: dict) -> "ProcessRecord":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass
class ClusterState:
    """The contents of cluster.json."""

    nodes: int = 3
    redis_url: str = ""
    embedded_redis: bool = True
    bootstrapped: bool = False
    pod_cidr: str = ""
    service_cidr: str = ""
    replicas: dict[str, int] = field(default_factory=dict)
    """Copies of a component beyond the registry's default (`kubelab up --replicas scheduler=2`)."""
    apiserver_workers: int = 1
    """API server processes behind its one address (`kubelab up --apiserver-workers N`)."""
    processes: dict[str, ProcessRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps({"version": VERSION, **d}, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "ClusterState":
        d = json.loads(text)
        if d.get("version") != VERSION:
            raise ValueError(f"cluster.json: unsupported version {d.get('version')!r} (expected {VERSION})")
        procs = {k: ProcessRecord.from_dict(v) for k, v in d.get("processes", {}).items()}
        return cls(
            nodes=int(d.get("nodes", 3)),
            redis_url=d.get("redis_url", ""),
            embedded_redis=bool(d.get("embedded_redis", True)),
            bootstrapped=bool(d.get("bootstrapped", False)),
            pod_cidr=d.get("pod_cidr", ""),
            service_cidr=d.get("service_cidr", ""),
            replicas={k: int(v) for k, v in d.get("replicas", {}).items()},
            apiserver_workers=int(d.get("apiserver_workers", 1)),
            processes=procs,
        )


class StateDir:
    """Paths inside one state dir, and atomic, locked access to cluster.json."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def proxy_file(self) -> Path:
        return self.root / "proxy.json"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def ui_file(self) -> Path:
        return self.root / "ui.url"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def node_root(self, node: str) -> Path:
        return self.root / "nodes" / node

    def exists(self) -> bool:
        return self.state_file.is_file()

    def create(self) -> None:
        for d in (self.root, self.logs, self.redis_dir, self.root / "nodes"):
            d.mkdir(parents=True, exist_ok=True)

    def load(self) -> ClusterState:
        """The recorded state; an empty one if there is no cluster here yet."""
        try:
            return ClusterState.from_json(self.state_file.read_text())
        except FileNotFoundError:
            return ClusterState()

    def save(self, state: ClusterState) -> None:
        write_atomic(self.state_file, state.to_json())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise commands that change this cluster (two `kubelab` processes at once)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def locked_json(path: Path) -> Iterator[dict]:
    """A small machine-wide JSON table (address ranges, port leases), changed in the with block and written
    back, under an exclusive lock on its .lock file so that concurrent `up`s and test workers take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            table = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            table = {}  # damaged: its owners' claims are forgotten, and renewed by their next use
        yield table
        write_atomic(path, json.dumps(table, indent=2, sort_keys=True) + "\n")


def write_atomic(path: Path, text: str) -> None:
    """Write so that a reader sees the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def find_apiserver(root: Path) -> str | None:
    """HOST:PORT of the API server of the cluster in state dir root (None if there is none)."""
    return apiserver_addresses(root)[0]


def apiserver_addresses(root: Path) -> tuple[str | None, str | None]:
    """HOST:PORT of the API server of the cluster in state dir root: its gRPC API and its HTTP API (each
    None if there is none)."""
    rec = StateDir(root).load().processes.get("apiserver")
    if rec is None:
        return None, None
    return rec.listen or None, rec.http_listen or None
