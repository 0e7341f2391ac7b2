"""How to run each process of a local cluster: argv, environment, log, and how to tell it is healthy.

Pure functions of the recorded ClusterState and the registry: no process is started here. Names are the
ones `kubelab ps` shows: `redis`, `proxy`, then the registry's instances (`apiserver`, ..., `node-1`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from kubelab.cluster import registry
from kubelab.cluster.ports import split
from kubelab.cluster.redis_server import find_redis_server, redis_argv
from kubelab.cluster.state import ClusterState, StateDir

__all__ = ["ProcSpec", "planned_instances", "proc_spec", "redis_addr", "route_target", "via_proxy"]

REDIS, PROXY = "redis", "proxy"


@dataclass(frozen=True)
class ProcSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    kind: str
    """"redis", "proxy" or "component" (a registry instance, health-checked over gRPC)."""
    upstream: str = ""
    """Where it connects to (through the proxy): a Redis URL or HOST:PORT of the API server."""


def planned_instances(state: ClusterState, overrides: dict[str, str] | None = None) -> list[registry.Instance]:
    """The registry's instances whose code exists, for state.nodes nodes, in start order."""
    overrides = registry.module_overrides() if overrides is None else overrides
    present = tuple(c for c in registry.COMPONENTS if registry.is_available(c, overrides))
    return registry.instances(state.nodes, present, state.replicas)


def redis_addr(url: str) -> str:
    """HOST:PORT of a redis:// URL (default port 6379)."""
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"


def via_proxy(url: str, proxy_addr: str) -> str:
    """The same Redis URL (credentials, database) but reached through proxy_addr."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    netloc = f"{auth}@{proxy_addr}" if auth else proxy_addr
    return urlunsplit((parts.scheme, netloc, parts.path or "/0", parts.query, parts.fragment))


def route_target(inst: registry.Instance, state: ClusterState) -> str:
    """Where the proxy forwards an instance's upstream path: Redis, or the API server's listen address."""
    if inst.component.upstream == registry.REDIS:
        return redis_addr(state.redis_url)
    return state.processes["apiserver"].listen


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The launcher's environment plus extra, with the `services` package importable from anywhere.

    Without PYTHONDONTWRITEBYTECODE: the components may cache the bytecode of what they import (in the
    usual __pycache__ directories, where they can write), so that the next start does not compile the
    same sources again. With it set (the Dockerfile's and many CI environments' default) and a checkout
    that no `pip install` compiled, every component compiled kubelab and its service from source at each
    start: about 1 CPU second per `kubelab up --nodes 3`, a quarter of its CPU (issue 19)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    root = registry.services_root()
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH", "")]))
    return env


def proc_spec(name: str, state: ClusterState, sd: StateDir, overrides: dict[str, str] | None = None) -> ProcSpec:
    """How to run the process called name; KeyError if this cluster has no such process."""
    overrides = registry.module_overrides() if overrides is None else overrides
    rec = state.processes[name]
    if name == REDIS:
        argv = redis_argv(find_redis_server(), port=split(rec.listen)[1], data_dir=sd.redis_dir)
        return ProcSpec(name, argv, child_env({}), REDIS)
    if name == PROXY:
        argv = [sys.executable, "-m", "kubelab.cluster.proxy", "--config", str(sd.proxy_file)]
        return ProcSpec(name, argv, child_env({"PYTHONUNBUFFERED": "1"}), PROXY)
    inst = next((i for i in registry.instances(state.nodes, replicas=state.replicas) if i.name == name), None)
    if inst is None:
        raise KeyError(name)
    if inst.component.upstream == registry.REDIS:
        upstream = via_proxy(state.redis_url, rec.route_listen)
    else:
        upstream = rec.route_listen
    root_dir = str(sd.node_root(inst.node)) if inst.node else None
    ranges = {k: v for k, v in (("pod_cidr", state.pod_cidr), ("service_cidr", state.service_cidr)) if v}
    # the ui, given port 0, takes a free one (its last one when it can) and writes it to <state-dir>/ui.url
    http_listen = rec.http_listen or (f"{split(rec.listen)[0]}:0" if inst.component.serves_http else None)
    argv = registry.command(inst, listen=rec.listen, upstream=upstream, root_dir=root_dir,
                            metrics_listen=rec.metrics_listen or None, http_listen=http_listen,
                            workers=state.apiserver_workers, **ranges)
    argv[0] = sys.executable
    argv[2] = rec.module or registry.module_of(inst.component, overrides)  # as `up` decided
    env = registry.environment(inst, upstream=upstream, state_dir=str(sd.root))
    return ProcSpec(name, argv, child_env(env), "component", upstream)
