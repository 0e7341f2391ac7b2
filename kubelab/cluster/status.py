"""What `kubelab ps` shows: each process' pid, state, health, role and address, read from reality.

STATE comes from /proc and the proxy, not from the records alone: a recorded process that is gone shows
as `killed` or `stopped` if `kubelab kill`/`stop` did it and `exited` if it died by itself; a live one is
`running`, `paused` (SIGSTOPped) and/or `partitioned` (its upstream path is cut at the proxy); one that
`up` planned but never started (because an earlier one failed) is `created`.

Nothing here imports grpcio (`kubelab ps` must start fast): HEALTH is the gRPC health check asked over a bare
HTTP/2 socket (kubelab.cluster.h2health), ROLE comes from kube-system's Leases read over the API server's
HTTP API (over gRPC, imported then, only when the API server has no HTTP address); for an API server run
with `--apiserver-workers N`, ROLE is `workers R/N`, R its processes alive now (from /proc).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from kubelab.api import kinds
from kubelab.cluster import procs, proxyctl, registry
from kubelab.cluster.h2health import SERVING, UNREACHABLE, check_health
from kubelab.cluster.redis_server import ping
from kubelab.cluster.specs import PROXY, REDIS
from kubelab.cluster.state import ClusterState, StateDir

#: kubelab.process.MODE_SERVICE (not imported: kubelab.process imports grpcio, which `kubelab ps` must not;
#: tests/unit/test_cluster_status.py checks they agree).
MODE_SERVICE = "mode/"

__all__ = ["Row", "health_of", "leader_roles", "partitioned_routes", "roles_from_leases", "rows"]


@dataclass(frozen=True)
class Row:
    name: str
    pid: int | None
    state: str
    health: str
    role: str
    address: str
    metrics: str = ""
    """HOST:PORT serving Prometheus metrics at /metrics (`ps -o json` only; empty: none)."""
    http: str = ""
    """The API server's Kubernetes HTTP API, HOST:PORT (empty: none)."""

    def to_dict(self) -> dict:
        return asdict(self)


def leader_roles(apiserver_addr: str, instances: list[registry.Instance], identities: dict[str, str],
                 timeout: float = 1.0, now: float | None = None, http_addr: str = "") -> dict[str, str]:
    """{instance name: "leader" | "standby"} for instances of components that elect a leader.

    A component elects its leader on the Lease named after it in kube-system. An instance leads only if
    the Lease is unexpired (renewTime + leaseDurationSeconds is ahead) and its holder is this very start
    of the instance: `identities` has the identity the launcher gave each start. A restarted controller
    waiting for its previous self's Lease to expire is a standby. Components without such a Lease (or an
    API server that does not answer within timeout) are left out. The Leases are read over the HTTP API
    when `http_addr` is given (no gRPC import: `kubelab ps`), else over gRPC.
    """
    if http_addr:
        leases = _kube_system_leases_http(http_addr, timeout)
        return {} if leases is None else roles_from_leases(leases, instances, identities, now)
    import asyncio

    from kubelab.client import ApiError

    try:
        leases = asyncio.run(asyncio.wait_for(_kube_system_leases(apiserver_addr), timeout))
    except (ApiError, asyncio.TimeoutError, OSError):
        return {}
    return roles_from_leases(leases, instances, identities, now)


def roles_from_leases(leases: dict, instances: list[registry.Instance], identities: dict[str, str],
                      now: float | None = None) -> dict[str, str]:
    """leader_roles from kube-system's Leases by name (a watcher such as the web view has them cached)."""
    now = time.time() if now is None else now
    out = {}
    for inst in instances:
        lease = leases.get(inst.component.name)
        if lease is None or inst.component.per_node:
            continue
        held_by = _holder(lease) if lease_valid(lease, now) else ""
        out[inst.name] = "leader" if held_by and held_by == identities.get(inst.name) else "standby"
    return out


def lease_valid(lease, now: float) -> bool:
    """The Lease's holder still holds it: renewed less than leaseDurationSeconds ago."""
    holder, renewed, duration = _lease_spec(lease)
    if not holder or renewed is None:
        return False
    return renewed + duration > now


def _holder(lease) -> str:
    return _lease_spec(lease)[0]


def _lease_spec(lease) -> tuple[str, float | None, int]:
    """(holderIdentity, renewTime in seconds or None, leaseDurationSeconds) of a Lease message or of its
    Kubernetes JSON (as the HTTP API serves it)."""
    if isinstance(lease, dict):
        spec = lease.get("spec") or {}
        renew = spec.get("renewTime")
        renewed = dt.datetime.fromisoformat(renew.replace("Z", "+00:00")).timestamp() if renew else None
        return spec.get("holderIdentity", ""), renewed, int(spec.get("leaseDurationSeconds", 0))
    spec = lease.spec
    renewed = spec.renew_time.ToNanoseconds() / 1e9 if spec.HasField("renew_time") else None
    return spec.holder_identity, renewed, spec.lease_duration_seconds


async def _kube_system_leases(addr: str) -> dict:
    from kubelab.client import Client

    async with Client(addr, retry_deadline=0) as client:
        items, _ = await client.list("Lease", namespace="kube-system")
    return {lease.metadata.name: lease for lease in items}


def _kube_system_leases_http(addr: str, timeout: float) -> dict | None:
    """kube-system's Leases by name, as JSON, from the HTTP API at addr; None if it does not answer."""
    import http.client

    host, _, port = addr.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", kinds.by_kind("Lease").collection_path("kube-system"))
        resp = conn.getresponse()
        if resp.status != 200:
            return None
        items = json.loads(resp.read()).get("items") or []
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return {lease["metadata"]["name"]: lease for lease in items}


PROXY_MODES = ("nftables", "userspace")


def proxy_modes(state: ClusterState, names: list[str], timeout: float = 1.0) -> dict[str, str]:
    """{instance: "nftables" | "userspace"} for reachable kube-proxy instances (their health service
    `mode/<mode>` is SERVING, kubelab.process.MODE_SERVICE)."""
    out = {}
    for name in names:
        if name == "kube-proxy":
            for mode in PROXY_MODES:
                if check_health(state.processes[name].listen, timeout, service=MODE_SERVICE + mode) == SERVING:
                    out[name] = mode
    return out


def process_health(name: str, state: ClusterState, timeout: float = 1.0) -> str:
    """SERVING / NOT_SERVING / unreachable for one process, however it is checked."""
    rec = state.processes[name]
    if name == REDIS:
        return SERVING if ping(state.redis_url, timeout) else UNREACHABLE
    if name == PROXY:
        try:
            proxyctl.request(rec.listen, "status", timeout=timeout)
        except proxyctl.ProxyError:
            return UNREACHABLE
        return SERVING
    return check_health(rec.listen, timeout=timeout)


def health_of(names: list[str], state: ClusterState, timeout: float = 1.0,
              pool: ThreadPoolExecutor | None = None) -> dict[str, str]:
    """process_health of each name, all at once (a paused process costs `timeout`, not more). A caller
    that asks again and again (the launcher waiting for health) passes its own pool, with a thread per
    name, so that the threads are not started anew for each round."""
    if not names:
        return {}
    if pool is not None:
        futures = {n: pool.submit(process_health, n, state, timeout) for n in names}
        return {n: f.result() for n, f in futures.items()}
    with ThreadPoolExecutor(max_workers=min(32, len(names))) as own:
        return health_of(names, state, timeout, own)


def partitioned_routes(sd: StateDir, state: ClusterState) -> set[str]:
    """Routes the proxy has partitioned (what the running proxy says, else its config file)."""
    config = proxyctl.read_config(sd.proxy_file)
    routes = config.get("routes", {})
    proxy = state.processes.get(PROXY)
    if proxy and procs.is_alive(proxy.pid, proxy.start_time):
        try:
            routes = proxyctl.request(proxy.listen, "status", timeout=1.0)["routes"]
        except proxyctl.ProxyError:
            pass
    return {name for name, r in routes.items() if r.get("partitioned")}


def state_of(name: str, state: ClusterState, partitioned: set[str]) -> str:
    rec = state.processes[name]
    if not rec.pid:  # recorded by `up`, never started
        return "created" if rec.desired == "running" else rec.desired
    st = procs.proc_state(rec.pid, rec.start_time)
    if st is None or st in ("Z", "X", "x"):
        return {"killed": "killed", "stopped": "stopped"}.get(rec.desired, "exited")
    words = ["paused"] if st in ("T", "t") else []
    if name in partitioned:
        words.append("partitioned")
    return ",".join(words) or "running"


def rows(sd: StateDir, state: ClusterState | None = None, timeout: float = 1.0,
         leases: dict | None = None) -> list[Row]:
    """One row per process of the cluster, external Redis included, in start order; `leases`: kube-system's
    Leases by name if the caller has them (else they are listed from the API server)."""
    state = state or sd.load()
    partitioned = partitioned_routes(sd, state)
    states = {n: state_of(n, state, partitioned) for n in state.processes}
    alive = [n for n, s in states.items() if s not in ("created", "killed", "stopped", "exited")]
    health = health_of(alive, state, timeout)
    api = state.processes.get("apiserver")
    roles = {}
    identities = {n: r.identity for n, r in state.processes.items()}
    insts = registry.instances(state.nodes, replicas=state.replicas)
    if leases is not None:
        roles = roles_from_leases(leases, insts, identities)
    elif api and health.get("apiserver") == SERVING:
        roles = leader_roles(api.listen, insts, identities, timeout, http_addr=api.http_listen)
    roles.update(proxy_modes(state, [n for n in alive if health.get(n) not in (None, UNREACHABLE)], timeout))
    if api and "apiserver" in health and state.apiserver_workers > 1:  # its processes behind one address
        roles["apiserver"] = f"workers {1 + len(procs.children(api.pid))}/{state.apiserver_workers}"
    out = []
    if not state.embedded_redis and state.redis_url:
        from kubelab.cluster.specs import redis_addr

        h = SERVING if ping(state.redis_url, timeout) else UNREACHABLE
        out.append(Row("redis", None, "external", h, "-", redis_addr(state.redis_url)))
    for name, rec in state.processes.items():
        alive_now = name in health
        out.append(
            Row(
                name=name,
                pid=rec.pid if alive_now else None,
                state=states[name],
                health=health.get(name, "-"),
                role=roles.get(name, "-") if alive_now else "-",
                address=rec.listen,
                metrics=rec.metrics_listen,
                http=rec.http_listen,
            )
        )
    return out


def format_table(table: list[Row]) -> str:
    headers = ("NAME", "PID", "STATE", "HEALTH", "ROLE", "ADDRESS")
    cells = [headers] + [
        (r.name, str(r.pid) if r.pid else "-", r.state, r.health, r.role,
         r.address + (f" http://{r.http}" if r.http else "")) for r in table
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)
