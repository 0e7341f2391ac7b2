"""The one list of kubelab components.

Everything that starts components reads this list: the local launcher (`kubelab up`) and, through
`tests/unit/test_compose.py`, the `docker-compose.yml` that must agree with it. A component is a Python
package `services.<name>` run as `python -m services.<name>`; an *instance* is one running copy of it
(`scheduler`, or `node-2` for the kubelet of node 2).

Every component serves the standard gRPC health service on `--listen`. It talks to exactly one upstream:
the API server talks to Redis (`--redis URL`, env `KUBELAB_REDIS_URL`), everything else talks to the API
server (`--apiserver HOST:PORT`, env `KUBELAB_APISERVER`). The launcher puts a TCP proxy in every upstream
path so that `kubelab partition` can cut it.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from kubelab.network import CLUSTER_DOMAIN, DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, DNS_SERVICE_INDEX, service_ip

__all__ = [
    "APISERVER",
    "COMPONENTS",
    "REDIS",
    "Component",
    "Instance",
    "command",
    "component",
    "environment",
    "instances",
    "is_available",
    "module_overrides",
    "parse_replicas",
    "scalable",
    "services_root",
]

REDIS = "redis"
APISERVER = "apiserver"
MAX_APISERVER_WORKERS = 64
"""The most API server processes `--workers` (`kubelab up --apiserver-workers`) runs behind one address."""

#: Port every component listens on in docker compose (each container has its own network namespace);
#: locally the launcher picks free ports instead. Redis listens on its usual 6379.
REDIS_PORT = 6379

#: The port every component but the API server serves Prometheus metrics on in compose (each service is
#: its own container); locally the launcher picks a free one per process, shown by `kubelab ps -o json`.
METRICS_PORT = 9090

#: The port the API server serves the Kubernetes HTTP API on in compose (plain HTTP: kubectl through
#: `<state-dir>/kubeconfig` locally); locally the launcher picks a free one, shown by `kubelab ps`.
HTTP_PORT = 8080

#: The web view's port in compose (`kubelab up` prints the local one; `kubelab ui` opens it).
UI_PORT = 8081

#: Testing/development hook: "name=module,name=module" runs a component from another module (and makes
#: it count as available). The e2e tests use it for stand-ins of components not written yet.
OVERRIDES_ENV = "KUBELAB_COMPONENT_MODULES"


@dataclass(frozen=True)
class Component:
    """One kind of process in the cluster."""

    name: str
    """Package name under `services/`; also the instance name unless per_node."""
    upstream: str
    """REDIS or APISERVER: what the component talks to (through the launcher's proxy)."""
    port: int
    """The port it listens on for gRPC (health, metrics, and the API for the apiserver) in compose."""
    per_node: bool = False
    """One instance per node (`node-1`, `node-2`, ...) instead of `replicas` instances."""
    replicas: int = 1
    """How many copies run side by side (leader election decides who works)."""
    help: str = ""
    """One line for `kubelab ps --help` and the docs."""
    package: str = ""
    """Package under `services/` when it differs from the name (`kube-proxy` is services/proxy: the
    launcher's own TCP proxy is already the process named `proxy`)."""
    leader_elect: bool = True
    """Run with `--leader-elect` (control-plane components); kube-proxy does not elect."""
    http_port: int = 0
    """The port it serves HTTP on in compose (`--http-listen`: the API server's Kubernetes API, the
    web view's page); 0: none. Locally the launcher picks a free one, shown by `kubelab ps`."""
    metrics_port: int = METRICS_PORT
    """The port it serves Prometheus metrics on in compose (kube-proxy: 10249, upstream's, since it
    shares its node container's network namespace with the kubelet's 9090)."""
    node_local: bool = False
    """It programs the network namespace it runs in, so where every node has its own (compose) one
    instance runs per node inside the node's namespace (`kube-proxy-node-N`, a DaemonSet in Kubernetes);
    locally one instance serves every node, all sharing the host's namespace."""

    @property
    def module(self) -> str:
        return f"services.{self.package or self.name}"

    @property
    def serves_http(self) -> bool:
        """It serves HTTP beside gRPC: the API server the Kubernetes API, the ui its page."""
        return self.http_port != 0

    @property
    def has_metrics(self) -> bool:
        """Every component runs on kubelab.skeleton, which serves /metrics (the API server included)."""
        return True


COMPONENTS: tuple[Component, ...] = (
    Component("apiserver", REDIS, 6443, http_port=HTTP_PORT,
              help="typed objects over gRPC (and the Kubernetes HTTP API), state in Redis, watch streams"),
    Component("scheduler", APISERVER, 10259, help="binds pending pods to nodes"),
    Component("provisioner", APISERVER, 10260, help="PV/PVC binding, dynamic provisioning, attach/detach"),
    Component("replicaset", APISERVER, 10257, help="Deployment and ReplicaSet controllers"),
    Component("statefulset", APISERVER, 10258, help="StatefulSet controller"),
    Component("lifecycle", APISERVER, 10261, help="garbage collector and node lifecycle"),
    Component("endpoints", APISERVER, 10262, help="EndpointSlice and Endpoints controllers"),
    Component("dns", APISERVER, 10263, leader_elect=False, help="cluster DNS on the kube-dns ClusterIP"),
    Component("kube-proxy", APISERVER, 10256, package="proxy", leader_elect=False, metrics_port=10249,
              node_local=True,
              help="Service proxy: ClusterIP:port to endpoints, in nftables rules (or userspace)"),
    Component("ui", APISERVER, 10264, leader_elect=False, http_port=UI_PORT,
              help="the live web view, with the failure verbs as buttons"),
    Component("kubelet", APISERVER, 10250, per_node=True, help="node agent: runs pods, mounts volumes"),
)


def component(name: str) -> Component:
    for c in COMPONENTS:
        if c.name == name:
            return c
    raise KeyError(name)


@dataclass(frozen=True)
class Instance:
    """One running copy of a component, named as the user names it in `kubelab kill NAME`."""

    name: str
    component: Component
    node: str | None = None
    """The node a per-node instance (kubelet) or a node-local one (kube-proxy in compose) belongs to."""


def instances(nodes: int, components: tuple[Component, ...] = COMPONENTS,
              replicas: dict[str, int] | None = None, node_namespaces: bool = False) -> list[Instance]:
    """Every instance of `components` for a cluster of `nodes` nodes, in start order; `replicas` overrides
    a component's number of copies (named `scheduler-1`, `scheduler-2`, ... as compose names them).
    `node_namespaces` (compose: every node its own network namespace) runs node-local components once
    per node, as `<name>-node-N` (after the nodes, whose namespaces they join)."""
    out: list[Instance] = []
    local: list[Component] = []
    for c in components:
        count = (replicas or {}).get(c.name, c.replicas)
        if c.node_local and node_namespaces:
            local.append(c)
        elif c.per_node:
            out += [Instance(f"node-{i}", c, f"node-{i}") for i in range(1, nodes + 1)]
        elif count == 1:
            out.append(Instance(c.name, c))
        else:
            out += [Instance(f"{c.name}-{i}", c) for i in range(1, count + 1)]
    for c in local:
        out += [Instance(f"{c.name}-node-{i}", c, f"node-{i}") for i in range(1, nodes + 1)]
    return out


def scalable() -> list[str]:
    """Components that may run as several copies: the leader-elected ones (not the API server, whose
    address the CLI and every component are given, nor kubelets, one per node)."""
    return [c.name for c in COMPONENTS if c.upstream == APISERVER and not c.per_node]


def parse_replicas(items: list[str]) -> dict[str, int]:
    """`scheduler=2` items of `up --replicas` as {component: copies}; ValueError says what is wrong."""
    out: dict[str, int] = {}
    for item in items:
        for part in filter(None, item.split(",")):
            name, sep, count = part.partition("=")
            if not sep:
                raise ValueError(f"--replicas {part}: expected COMPONENT=N, as in scheduler=2")
            if name not in scalable():
                why = ("kubelets run one per node: use --nodes" if name == "kubelet"
                       else "the API server runs several processes behind its one address: use "
                       "--apiserver-workers N" if name == APISERVER
                       else f"no component named {name!r} runs replicas")
                raise ValueError(f"--replicas {part}: {why} (components: {', '.join(scalable())})")
            if not count.isdigit() or int(count) < 1:
                raise ValueError(f"--replicas {part}: the number of copies must be a whole number, 1 or more")
            out[name] = int(count)
    return out


def redis_url(addr: str, db: int = 0) -> str:
    return f"redis://{addr}/{db}"


def command(
    inst: Instance, *, listen: str, upstream: str, root_dir: str | None = None, node_ip: str | None = None,
    metrics_listen: str | None = None, pod_cidr: str = DEFAULT_POD_CIDR, service_cidr: str = DEFAULT_SERVICE_CIDR,
    http_listen: str | None = None, address: str | None = None, workers: int = 1,
) -> list[str]:
    """argv (starting with "python") of an instance listening on `listen`, its upstream at `upstream`.

    `upstream` is a Redis URL for the API server and HOST:PORT of the API server for the others;
    `root_dir` is the node's root directory (kubelets only). `service_cidr` is the API server's
    `--service-cluster-ip-range` (ClusterIPs come from it). `pod_cidr` is the cluster's pod range, cut
    into nodes' /24s by lifecycle (`--allocate-node-cidrs --cluster-cidr`); kubelets get the kube-dns
    address (index 10 of `service_cidr`) as `--cluster-dns`, kube-proxy both ranges, and with `node_ip` (compose: every node its own
    network namespace) `--host-gw` routes to the other nodes' pods. A node-local instance (kube-proxy
    with `inst.node` set, compose) gets `--node-name` (kube-proxy's --hostname-override).
    `address` (compose: the container's own name, which the others resolve to its address) is where the
    DNS server serves (`--listen-dns NAME:53`) and the API server advertises itself (`--advertise-address`),
    so that kube-dns's and kubernetes's endpoints are addresses the node containers can reach; the API
    server then makes kube-dns for the kube-proxies to forward (`--kube-dns-proxied`). `workers`: the API
    server's `--workers` (`kubelab up --apiserver-workers`).
    """
    argv = ["python", "-m", inst.component.module]
    if inst.node is not None and inst.component.node_local:
        argv += ["--node-name", inst.node]
    elif inst.node is not None:
        argv += ["--node-name", inst.node, "--root-dir", root_dir or f"nodes/{inst.node}"]
        if node_ip:  # compose: the node's address as the other containers reach it (logs, exec, pods)
            argv += ["--node-ip", node_ip, "--host-gw"]
        argv += ["--cluster-dns", service_ip(service_cidr, DNS_SERVICE_INDEX), "--cluster-domain", CLUSTER_DOMAIN]
    if inst.component.name == "lifecycle":
        argv += ["--allocate-node-cidrs", "--cluster-cidr", pod_cidr]
    if inst.component.name == "kube-proxy":  # which addresses are ClusterIPs; traffic not from pods is masqueraded
        argv += ["--service-cluster-ip-range", service_cidr, "--cluster-cidr", pod_cidr]
    if inst.component.name == "dns" and address:
        argv += ["--listen-dns", f"{address}:53"]
    if inst.component.upstream == REDIS:
        argv += ["--listen", listen, "--redis", upstream, "--service-cluster-ip-range", service_cidr]
        if address:  # and kube-dns without the proxy-name label: the node's kube-proxy forwards it
            argv += ["--advertise-address", address, "--kube-dns-proxied"]
        if workers > 1:  # API server processes sharing `listen` (services/apiserver/workers.py)
            argv += ["--workers", str(workers)]
    else:
        argv += ["--apiserver", upstream, "--listen", listen]
        if not inst.component.per_node and inst.component.leader_elect:
            argv.append("--leader-elect")  # as Kubernetes runs its control plane; `ps` shows the leader
    if inst.component.serves_http:
        argv += ["--http-listen", http_listen or f"{listen.rpartition(':')[0]}:{inst.component.http_port}"]
    if metrics_listen and inst.component.has_metrics:
        argv += ["--metrics-listen", metrics_listen]
    return argv


def environment(inst: Instance, *, upstream: str, state_dir: str) -> dict[str, str]:
    """Environment an instance runs with (on top of the launcher's own), the same in compose."""
    env = {
        "PYTHONUNBUFFERED": "1",
        "KUBELAB_STATE_DIR": state_dir,
        "KUBELAB_CLUSTER_DIR": state_dir,  # docs/conventions.md: where volumes outside the nodes live
        "KUBELAB_COMPONENT": inst.name,  # the instance's name, part of its leader-election identity
    }
    key = "KUBELAB_REDIS_URL" if inst.component.upstream == REDIS else "KUBELAB_APISERVER"
    env[key] = upstream
    return env


def module_overrides(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The `KUBELAB_COMPONENT_MODULES` hook parsed into {component name: module}."""
    raw = (os.environ if environ is None else environ).get(OVERRIDES_ENV, "")
    out = {}
    for item in filter(None, (s.strip() for s in raw.split(","))):
        name, sep, module = item.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise ValueError(f"{OVERRIDES_ENV}: expected name=module, got {item!r}")
        out[name.strip()] = module.strip()
    return out


def services_root() -> Path | None:
    """The directory that holds the `services` package (put on the children's PYTHONPATH)."""
    spec = importlib.util.find_spec("services")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).parent


def is_available(c: Component, overrides: dict[str, str] | None = None) -> bool:
    """True if the component's code exists ("every component that exists" is started).

    Checks files rather than importing, so that the CLI does not import every service.
    """
    if overrides and c.name in overrides:
        return importlib.util.find_spec(overrides[c.name]) is not None
    spec = importlib.util.find_spec("services")
    if spec is None or not spec.submodule_search_locations:
        return False
    package = c.package or c.name
    return any((Path(loc) / package / "__main__.py").is_file() for loc in spec.submodule_search_locations)


def module_of(c: Component, overrides: dict[str, str] | None = None) -> str:
    return (overrides or {}).get(c.name, c.module)
