"""The local launcher: brings a cluster up and down and carries out the failure verbs.

Start order: the partition proxy and Redis (unless external), the API server (with the ui: see
WITH_APISERVER), then every other component that exists and one kubelet per node, all at once, creating the
default StorageClasses (first start only) while they start. Each step waits for health with a deadline. `down` stops in reverse: components, API
server, Redis, proxy.
`up --nodes N` with fewer nodes than before takes the others out cleanly (kubelab/cluster/nodes.py):
their pods are evicted first, then their kubelets stopped, then their Nodes and Leases deleted.

Every method takes the state dir's lock, so two `kubelab` commands never interleave their changes.

This module imports no gRPC: `kubelab down` and the failure verbs have no API call to make, and health is
asked over a bare HTTP/2 socket (kubelab/cluster/h2health.py). What talks to the API server (bootstrap,
draining removed nodes) and the leader-election identity are imported where used; `up` imports them while
the API server starts, when the launcher would otherwise only wait (issue 19).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from kubelab import hostaddr
from kubelab.cluster import journal, procs, proxyctl, registry
from kubelab.cluster.h2health import SERVING
from kubelab.cluster.kubeconfig import write_kubeconfig
from kubelab.cluster.networks import AddressRanges, RangeError, check_ranges, claim_ranges, release_ranges
from kubelab.cluster.ports import HOST, allocate, join, split
from kubelab.cluster.specs import PROXY, REDIS, child_env, planned_instances, proc_spec, route_target
from kubelab.cluster.state import ClusterState, ProcessRecord, StateDir
from kubelab.cluster.status import health_of
from kubelab.network import cluster_id
from kubelab.podnet import IpError, remove_cluster_network, require_ip

__all__ = ["ClusterError", "Launcher", "UpOptions"]


class ClusterError(RuntimeError):
    """A cluster verb could not be carried out; the message says why and what to do."""


@dataclass(frozen=True)
class UpOptions:
    nodes: int | None = None
    """Kubelets node-1..node-N (default: as recorded, else 3)."""
    redis_url: str | None = None
    """An external Redis instead of the embedded one."""
    timeout: float = 60.0
    """Seconds each start step may take to become healthy."""
    pod_cidr: str | None = None
    """The cluster's pod range (default: as recorded, else 198.18.0.0/16 or the next free one)."""
    service_cidr: str | None = None
    """The cluster's Service range (default: as recorded, else 198.19.0.0/16 or the next free one)."""
    replicas: dict[str, int] | None = None
    """Copies of leader-elected components ({"scheduler": 2}); others keep what was recorded."""
    apiserver_workers: int | None = None
    """API server processes sharing its address (default: as recorded, else 1); a running API server
    takes a new number at its next start (`kubelab restart apiserver`)."""


#: How the launcher hands a process its leader-election identity (ProcessConfig.leader_elect_identity).
IDENTITY_ENV = "KUBELAB_LEADER_ELECT_IDENTITY"
LEADER_ELECT = "--leader-elect"


WITH_APISERVER = ("ui",)
"""Started with the API server rather than after it. The API server's start is one process on one core,
the critical path; the ui, the heaviest of the others to start (about 0.4 CPU s, aiohttp's included),
uses the second core meanwhile and waits for the API server as any component can, instead of taking its
share of the cores from the others once the API server is up. More would slow the API server itself."""

POLL_FEW, POLL_MANY = 0.02, 0.1
"""Seconds between health checks while waiting on at most two processes, and on more."""


def _port(addr: str) -> int | None:
    return split(addr)[1] if addr else None


class Launcher:
    """One local cluster, identified by its state dir."""

    def __init__(self, root: Path, say: Callable[[str], None] = print, on_log=None):
        self.sd = StateDir(root)
        self.say = say
        self.on_log = on_log or (lambda name, path: None)
        """Called with (name, log path) just before a process is started (`up` follows the logs)."""
        self.overrides = registry.module_overrides()

    # -- up / down -------------------------------------------------------------------------------

    def up(self, opts: UpOptions = UpOptions()) -> None:
        with self.sd.locked():
            self.sd.create()
            state = self.sd.load()
            removed = self._removed_nodes(state, opts)
            self._drain(state, removed, opts.timeout)  # while their kubelets still run; _plan stops them
            insts = self._plan(state, opts)
            self._claim_ranges(state, opts)
            self.sd.save(state)
            names = [i.name for i in insts]
            if "apiserver" not in names:
                raise ClusterError("the API server (services/apiserver) is not installed; nothing to start")
            self._write_proxy_config(state, insts)
            self._start_and_wait(state, [PROXY] + ([REDIS] if state.embedded_redis else []), opts.timeout)
            proxyctl.request(state.processes[PROXY].listen, "reload")
            early = [n for n in names if n in WITH_APISERVER]
            self._start(state, ["apiserver", *early])
            _import_api_client()  # while the API server starts
            if opts.timeout:
                self._wait_serving(state, ["apiserver"], opts.timeout)
            if removed:
                from kubelab.cluster.nodes import forget_nodes
                forget_nodes(state.processes["apiserver"].listen, removed, self.say)
            others = [n for n in names if n != "apiserver" and n not in early]
            self._start(state, others)
            if not state.bootstrapped:  # while they start: none of them needs the StorageClasses to start
                self._bootstrap(state)
            if opts.timeout:
                self._wait_serving(state, early + others, opts.timeout)
            self.say(f"event=up state_dir={self.sd.root} apiserver={state.processes['apiserver'].listen}")
            if "ui" in names and self.sd.ui_file.is_file():
                self.say(f"event=ui url={self.sd.ui_file.read_text().strip()} hint='open it in a browser'")
            self._write_kubeconfig(state)

    def _write_kubeconfig(self, state: ClusterState) -> None:
        """kubectl's way in: plain HTTP on loopback, no credentials (docs/http-api.md)."""
        http = state.processes["apiserver"].http_listen
        if http:
            write_kubeconfig(self.sd.kubeconfig, http)
            self.say(f"export KUBECONFIG={self.sd.kubeconfig}   # kubectl over plain HTTP on http://{http}")

    def down(self, purge: bool = False, grace: float = 10.0) -> None:
        if not self.sd.exists():
            self.say(f"event=down state_dir={self.sd.root} note='no cluster here'")
            if purge:
                self.purge()
            return
        with self._locked_state() as state:
            names = list(state.processes)
            tiers = [
                [n for n in names if n not in (REDIS, PROXY, "apiserver")],
                ["apiserver"],
                [REDIS],
                [PROXY],
            ]
            for tier in tiers:
                self._stop(state, [n for n in tier if n in state.processes], grace, desired="stopped")
            leftovers = procs.cluster_leftovers(self.sd.root)
            if leftovers:  # pod containers outlive a stopped kubelet, as in Kubernetes, but not `down`
                procs.terminate(leftovers, min(grace, 5.0), group=False)
                self.say(f"event=stopped name=containers count={len(leftovers)}")
            removed = self._remove_network()
            if removed:
                self.say(f"event=removed name=pod-network objects={len(removed)}")
            self._remove_host_addresses()
            self._remove_service_rules()
            config = proxyctl.read_config(self.sd.proxy_file)
            if config.get("routes"):
                healed = proxyctl.set_partitioned(config, list(config["routes"]), False)
                proxyctl.write_config(self.sd.proxy_file, healed)
            self.sd.save(state)
        if purge:
            self.purge()

    def _remove_host_addresses(self) -> None:
        """The kube-dns address the DNS server put on this host: it removes it on SIGTERM, not when killed."""
        try:
            gone = hostaddr.remove_cluster_addresses(cluster_id(str(self.sd.root)))
        except hostaddr.HostAddressError as e:
            self.say(f"event=host-addresses-unchecked error={str(e)!r}")
            return
        if gone:
            self.say(f"event=removed name=host-addresses addresses={','.join(gone)}")

    def _remove_service_rules(self) -> None:
        """kube-proxy leaves its rules in the kernel when it stops, as upstream's does; `down` removes them
        with the proxy's own one-shot `--cleanup` (its nft table and userspace addresses)."""
        proxy = registry.component("kube-proxy")
        if not registry.is_available(proxy, self.overrides):
            return
        argv = [sys.executable, "-m", registry.module_of(proxy, self.overrides), "--cleanup", "--cluster-id",
                cluster_id(str(self.sd.root))]
        done = subprocess.run(argv, env=child_env({}), capture_output=True, text=True, timeout=60)
        self.say(f"event=cleaned name=kube-proxy ok={done.returncode == 0}")

    def purge(self) -> None:
        root = self.sd.root
        if not root.exists():
            return
        if not self.sd.exists() and any(root.iterdir()):
            raise ClusterError(f"{root} has no cluster.json: not a kubelab state dir, not removing it")
        shutil.rmtree(root)
        release_ranges(root)
        self.say(f"event=purged state_dir={root}")

    # -- the failure verbs ----------------------------------------------------------------------

    def kill(self, name: str) -> None:
        with self._locked_state(name) as state:
            rec = state.processes[name]
            at = time.time()
            procs.signal_process(rec.pid, rec.start_time, signal.SIGKILL)
            procs.wait_dead([(rec.pid, rec.start_time)], 5)
            rec.desired = "killed"
            self.sd.save(state)
            journal.append(self.sd.root, "killed", name, at=at, pid=rec.pid)
            self.say(f"event=killed name={name} pid={rec.pid}")

    def stop(self, name: str, grace: float = 10.0) -> None:
        with self._locked_state(name) as state:
            self._stop(state, [name], grace, desired="stopped")
            self.sd.save(state)

    def start(self, name: str, wait: bool = True, timeout: float = 60.0) -> None:
        with self._locked_state(name) as state:
            self._start_and_wait(state, [name], timeout if wait else 0)

    def restart(self, name: str, wait: bool = True, timeout: float = 60.0, grace: float = 10.0) -> None:
        with self._locked_state(name) as state:
            self._stop(state, [name], grace, desired="stopped")
            self._start_and_wait(state, [name], timeout if wait else 0)

    def pause(self, name: str) -> None:
        self._signal(name, signal.SIGSTOP, "paused")

    def resume(self, name: str) -> None:
        self._signal(name, signal.SIGCONT, "resumed")

    def partition(self, name: str, mode: str = "drop") -> list[str]:
        return self._set_partitioned(name, True, mode)

    def heal(self, name: str | None = None) -> list[str]:
        return self._set_partitioned(name, False, "drop")

    # -- helpers --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked_state(self, name: str | None = None, process: bool = True) -> Iterator[ClusterState]:
        """Lock the existing cluster and load its state; with name, check that it has that process."""
        if not self.sd.exists():
            raise ClusterError(f"no cluster in {self.sd.root} (start one with `kubelab up`)")
        with self.sd.locked():
            state = self.sd.load()
            if process and name == REDIS and not state.embedded_redis:
                raise ClusterError(f"redis is external ({state.redis_url}): kubelab does not run it")
            if process and name is not None and name not in state.processes:
                known = ", ".join(state.processes) or "none"
                raise ClusterError(f"no component named {name!r} in this cluster (components: {known})")
            yield state

    def _signal(self, name: str, sig: int, verb: str) -> None:
        """pause/resume: the process; for the API server its whole process group, its workers included
        (services/apiserver/workers.py; a node agent's group is not signalled, its pods run on)."""
        with self._locked_state(name) as state:
            rec = state.processes[name]
            at = time.time()
            if not procs.signal_process(rec.pid, rec.start_time, sig, group=name == registry.APISERVER):
                raise ClusterError(f"{name} is not running")
            journal.append(self.sd.root, verb, name, at=at, pid=rec.pid)
            self.say(f"event={verb} name={name} pid={rec.pid}")

    @staticmethod
    def _removed_nodes(state: ClusterState, opts: UpOptions) -> list[str]:
        """The nodes a smaller --nodes takes out of a cluster that has run (a new one has no Nodes)."""
        if opts.nodes is None or opts.nodes >= state.nodes or not state.bootstrapped:
            return []
        return [f"node-{i}" for i in range(opts.nodes + 1, state.nodes + 1)]

    def _drain(self, state: ClusterState, nodes: list[str], timeout: float) -> None:
        """Evict the pods of nodes whose kubelets run, through a running API server (docs: Breaking things)."""
        api = state.processes.get("apiserver")
        running = [n for n in nodes if n in state.processes
                   and procs.is_alive(state.processes[n].pid, state.processes[n].start_time)]
        if not running or api is None or health_of(["apiserver"], state)["apiserver"] != SERVING:
            return
        from kubelab.cluster.nodes import drain_nodes
        left = drain_nodes(api.listen, running, timeout, self.say)
        if left:
            self.say(f"event=deleted_at_once pods={','.join(left)} note='not terminated within {timeout:g}s'")
        self.say(f"event=drained nodes={','.join(running)}")

    def _claim_ranges(self, state: ClusterState, opts: UpOptions) -> None:
        """Settle the cluster's pod and Service ranges (docs/pod-network.md); ClusterError if they clash."""
        try:
            require_ip()
            pods, services = opts.pod_cidr or state.pod_cidr, opts.service_cidr or state.service_cidr
            wanted = None
            if pods or services:
                auto = claim_ranges(self.sd.root) if not (pods and services) else None
                wanted = check_ranges(pods or auto.pods, services or auto.services)
            ranges: AddressRanges = claim_ranges(self.sd.root, wanted)
        except (RangeError, IpError, IndexError) as e:
            raise ClusterError(str(e)) from None
        state.pod_cidr, state.service_cidr = ranges.pods, ranges.services

    def _remove_network(self) -> list[str]:
        """Every bridge, veth and pod namespace of the cluster (their routes go with them)."""
        try:
            return remove_cluster_network(cluster_id(str(self.sd.root)))
        except IpError as e:
            self.say(f"event=warning name=pod-network error={e!r}")
            return []

    def _bootstrap(self, state: ClusterState) -> None:
        from kubelab.cluster.bootstrap import bootstrap_cluster
        from kubelab.errors import ApiError
        addr = state.processes["apiserver"].listen
        try:
            state.bootstrapped = bootstrap_cluster(addr)
        except ApiError as e:
            raise ClusterError(f"creating the default StorageClasses at {addr} failed: {e}") from e
        self.sd.save(state)
        self.say(f"event=bootstrapped storageclasses=standard,network-disk,shared apiserver={addr}")

    def _plan(self, state: ClusterState, opts: UpOptions) -> list[registry.Instance]:
        """Settle nodes, Redis and ports for this `up`; drop records of instances no longer planned."""
        if opts.nodes is not None:
            state.nodes = opts.nodes
        for name, count in (opts.replicas or {}).items():
            if count == registry.component(name).replicas:
                state.replicas.pop(name, None)
            else:
                state.replicas[name] = count
        if opts.apiserver_workers is not None and opts.apiserver_workers != state.apiserver_workers:
            state.apiserver_workers = opts.apiserver_workers
            api = state.processes.get(registry.APISERVER)
            if api is not None and procs.is_alive(api.pid, api.start_time):
                self.say(f"event=note name=apiserver workers={opts.apiserver_workers} "
                         "detail=\"takes effect when it starts again: kubelab restart apiserver\"")
        if opts.redis_url:
            state.redis_url, state.embedded_redis = opts.redis_url, False
        elif not state.redis_url:
            state.embedded_redis = True
        insts = planned_instances(state, self.overrides)
        names = ([REDIS] if state.embedded_redis else []) + [PROXY] + [i.name for i in insts]
        gone = [n for n in state.processes if n not in names]
        self._stop(state, gone, 10.0, desired="stopped")
        for n in gone:
            del state.processes[n]
        recs = {n: state.processes.setdefault(n, ProcessRecord()) for n in names}
        alive = {n for n, r in recs.items() if procs.is_alive(r.pid, r.start_time)}
        metered = {i.name for i in insts if i.component.has_metrics}
        # the API server's HTTP port is chosen here; the ui picks its own and keeps it (docs/ui.md)
        http = {i.name for i in insts if i.component.name == registry.APISERVER}
        wanted, fixed = {}, {}
        for n, r in recs.items():
            (fixed if n in alive and r.listen else wanted)[n] = _port(r.listen)
            if n not in (REDIS, PROXY):
                route_kept = r.route_listen and (n in alive or PROXY in alive)
                (fixed if route_kept else wanted)[n + "/route"] = _port(r.route_listen)
            if n in metered:
                (fixed if n in alive and r.metrics_listen else wanted)[n + "/metrics"] = _port(r.metrics_listen)
            if n in http:
                (fixed if n in alive and r.http_listen else wanted)[n + "/http"] = _port(r.http_listen)
        ports = allocate(wanted, fixed)
        for n, r in recs.items():
            r.listen = join(HOST, ports[n])
            if n not in (REDIS, PROXY):
                r.route_listen = join(HOST, ports[n + "/route"])
            r.metrics_listen = join(HOST, ports[n + "/metrics"]) if n in metered else ""
            r.http_listen = join(HOST, ports[n + "/http"]) if n in http else ""
        for inst in insts:
            recs[inst.name].module = registry.module_of(inst.component, self.overrides)
        if state.embedded_redis:
            state.redis_url = registry.redis_url(recs[REDIS].listen)
        self.sd.save(state)
        return insts

    def _write_proxy_config(self, state: ClusterState, insts: list[registry.Instance]) -> None:
        old = proxyctl.read_config(self.sd.proxy_file).get("routes", {})
        routes = {}
        for inst in insts:
            rec = state.processes[inst.name]
            prev = old.get(inst.name, {})
            routes[inst.name] = {
                "listen": rec.route_listen,
                "target": route_target(inst, state),
                "upstream": inst.component.upstream,
                "partitioned": bool(prev.get("partitioned", False)),
                "mode": prev.get("mode", "drop"),
            }
        proxyctl.write_config(self.sd.proxy_file, {"control": state.processes[PROXY].listen, "routes": routes})

    def _start_and_wait(self, state: ClusterState, names: list[str], timeout: float) -> None:
        """Start each name not running; then, if timeout, wait until all are SERVING."""
        self._start(state, names)
        if timeout:
            self._wait_serving(state, names, timeout)

    def _start(self, state: ClusterState, names: list[str]) -> None:
        """Start each name not running; the state (their pids) is saved once they are, or on the way out
        of an error or Ctrl-C, so that `down` finds every process that was started."""
        try:
            for name in names:
                self._start_one(state, name)
        finally:
            self.sd.save(state)

    def _start_one(self, state: ClusterState, name: str) -> None:
        rec = state.processes[name]
        if procs.is_alive(rec.pid, rec.start_time):
            rec.desired = "running"
            return
        spec = proc_spec(name, state, self.sd, self.overrides)
        log = self.sd.log_file(name)
        self.on_log(name, log)
        with open(log, "a") as f:
            f.write(f"ts={time.strftime('%Y-%m-%dT%H:%M:%S')} component=kubelab event=start name={name}\n")
        rec.upstream = spec.upstream
        rec.identity = ""
        if LEADER_ELECT in spec.argv:  # a fresh identity per start, so that `ps` can tell it from the last
            from kubelab.leaderelection import default_identity
            rec.identity = spec.env[IDENTITY_ENV] = default_identity(name)
        rec.pid, rec.start_time = procs.spawn(spec.argv, env=spec.env, log=log, cwd=self.sd.root)
        rec.desired = "running"
        journal.append(self.sd.root, "started", name, pid=rec.pid)
        self.say(f"event=started name={name} pid={rec.pid} listen={rec.listen}")

    def _wait_serving(self, state: ClusterState, names: list[str], timeout: float) -> None:
        with ThreadPoolExecutor(max_workers=min(32, len(names))) as pool:
            self._poll_serving(state, names, timeout, pool)

    def _poll_serving(self, state: ClusterState, names: list[str], timeout: float, pool: ThreadPoolExecutor) -> None:
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            health = health_of(pending, state, timeout=min(1.0, max(0.2, deadline - time.monotonic())), pool=pool)
            for name in [n for n in pending if health[n] == SERVING]:
                pending.remove(name)
                self.say(f"event=healthy name={name}")
            dead = [n for n in pending if not procs.is_alive(state.processes[n].pid, state.processes[n].start_time)]
            if dead or (pending and time.monotonic() >= deadline):
                raise ClusterError(self._failure_report(pending, dead, health, timeout))
            if pending:  # a stage waiting on one or two processes (proxy, Redis, API server) polls faster
                time.sleep(POLL_FEW if len(pending) <= 2 else POLL_MANY)

    def _failure_report(self, pending: list[str], dead: list[str], health: dict[str, str], timeout: float) -> str:
        lines = []
        for name in pending:
            why = "exited" if name in dead else f"not SERVING after {timeout:g}s (health: {health.get(name)})"
            lines.append(f"{name} {why}; last lines of {self.sd.log_file(name)}:")
            lines += ["    " + line for line in tail(self.sd.log_file(name), 10)]
        lines.append("see `kubelab component-logs NAME`; `kubelab down` stops what did start")
        return "\n".join(lines)

    def _stop(self, state: ClusterState, names: list[str], grace: float, desired: str) -> None:
        live = [n for n in names if procs.is_alive(state.processes[n].pid, state.processes[n].start_time)]
        procs.terminate([(state.processes[n].pid, state.processes[n].start_time) for n in live], grace)
        for n in names:
            state.processes[n].desired = desired
        for n in live:
            journal.append(self.sd.root, "stopped", n, pid=state.processes[n].pid)
            self.say(f"event=stopped name={n} pid={state.processes[n].pid}")

    def _set_partitioned(self, name: str | None, partitioned: bool, mode: str) -> list[str]:
        with self._locked_state(name, process=False) as state:
            config = proxyctl.read_config(self.sd.proxy_file)
            routes = config.get("routes", {})
            if name is None:
                names = [n for n, r in routes.items() if r.get("partitioned")]
            elif name == REDIS:
                names = [n for n, r in routes.items() if r["upstream"] == registry.REDIS]
            elif name in routes:
                names = [name]
            else:
                raise ClusterError(
                    f"{name} has no upstream path to partition (partitionable: redis, {', '.join(routes)})"
                )
            proxy = state.processes.get(PROXY)
            if proxy is None or not procs.is_alive(proxy.pid, proxy.start_time):
                raise ClusterError("the partition proxy is not running (`kubelab start proxy`)")
            at = time.time()
            proxyctl.write_config(self.sd.proxy_file, proxyctl.set_partitioned(config, names, partitioned, mode))
            proxyctl.request(proxy.listen, "reload")
            verb = "partitioned" if partitioned else "healed"
            for n in names:
                journal.append(self.sd.root, verb, n, at=at, **({"mode": mode} if partitioned else {}))
            self.say(f"event={verb} routes={','.join(names) or '-'}" + (f" mode={mode}" if partitioned else ""))
            return names


def _import_api_client() -> None:
    """Import what `up` goes on to use that needs gRPC and the generated modules (about 0.1 CPU second):
    the bootstrap's client and the leader-election identity of the components."""
    import kubelab.cluster.bootstrap  # noqa: F401
    import kubelab.leaderelection  # noqa: F401


def tail(path: Path, n: int) -> list[str]:
    """The last n lines of a text file ([] if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 64 * 1024))
            return f.read().decode(errors="replace").splitlines()[-n:]
    except FileNotFoundError:
        return []
