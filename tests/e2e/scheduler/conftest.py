"""The scheduler on a real local cluster (`kubelab up -d --nodes 3`: API server, scheduler, controllers and
three kubelets running pods as real processes), shared by the package. Manifests go in through
`kubelab apply`; placement is read as a user reads it (`kubelab get pods -o wide`, the FailedScheduling
events of `kubelab describe pod`) and checked on the nodes themselves: a pod counts as running on a node
when that node's agent runs its container (a live process recorded under the node's root dir)."""
from __future__ import annotations

import json
import os
import re
import textwrap
from collections import defaultdict

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_conflict
from tests.e2e.cluster import StdoutCluster, new_namespace, running_cluster, wait_for
from tests.support import running

NODES = ("node-1", "node-2", "node-3")


@pytest.fixture(scope="package")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("sched-e2e") / "state", len(NODES), StdoutCluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "sched")


@pytest.fixture
def apply(cluster, ns, tmp_path):
    """`kubelab apply -n NS -f FILE` of a YAML text (dedented): what a user writes and runs."""
    count = 0

    async def apply_yaml(text: str) -> str:
        nonlocal count
        count += 1
        path = tmp_path / f"manifest-{count}.yaml"
        path.write_text(textwrap.dedent(text))
        return await cluster.kubelab("apply", "-n", ns, "-f", str(path))
    return apply_yaml


def _fields(pod_spec: str, indent: int) -> str:
    text = textwrap.dedent(pod_spec).strip()
    return textwrap.indent(text, " " * indent) + "\n" if text else ""


def deployment(name: str, replicas: int, *, cpu: str = "100m", pod_spec: str = "") -> str:
    """A Deployment of pause containers requesting `cpu`; `pod_spec`: more fields of the pod's spec (YAML,
    e.g. a nodeSelector or tolerations)."""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n"
            f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n    spec:\n      terminationGracePeriodSeconds: 1\n"
            f"{_fields(pod_spec, 6)}"
            f"      containers:\n      - name: app\n        image: registry.k8s.io/pause\n"
            f"        resources: {{requests: {{cpu: {cpu}}}}}\n")


def pod(name: str, pod_spec: str = "", *, cpu: str = "100m", memory: str = "") -> str:
    """A bare Pod (label app=NAME) of a pause container, as `deployment` builds its template."""
    requests = f"cpu: {cpu}" + (f", memory: {memory}" if memory else "")
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\nspec:\n"
            f"  terminationGracePeriodSeconds: 1\n{_fields(pod_spec, 2)}"
            f"  containers:\n  - name: app\n    image: registry.k8s.io/pause\n"
            f"    resources: {{requests: {{{requests}}}}}\n")


# --- what `kubelab get pods -o wide` and `kubelab describe pod` show ------------------------------------

def table(text: str) -> list[dict[str, str]]:
    """Rows of a kubectl-style table as {column: value}, cut at the header's column starts (values such as
    `1 (5s ago)` and titles such as `NOMINATED NODE` hold single spaces; columns are two or more apart)."""
    header, *rows = text.splitlines()
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=\s\s))\S", header)]
    names = [header[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    return [{n: row[a:b].strip() for n, a, b in zip(names, starts, starts[1:] + [None])} for row in rows if row]


async def wide(cluster, ns: str, selector: str = "") -> dict[str, dict[str, str]]:
    """`kubelab get pods -o wide` by pod name."""
    args = ["get", "pods", "-o", "wide", "-n", ns] + (["-l", selector] if selector else [])
    out = await cluster.kubelab(*args)
    return {} if out.startswith("No resources found") else {r["NAME"]: r for r in table(out)}


async def events(cluster, ns: str, pod: str) -> list[dict[str, str]]:
    """The Events table of `kubelab describe pod`."""
    out = await cluster.kubelab("describe", "pod", pod, "-n", ns)
    _, sep, section = out.partition("\nEvents:\n")
    if not sep or not section.strip() or section.strip() == "<none>":
        return []
    lines = [ln for ln in section.splitlines() if ln.strip() and not set(ln.strip()) <= set("- ")]
    return table("\n".join(lines))


async def failed_scheduling(cluster, ns: str, pod: str) -> str | None:
    """The message of the pod's latest FailedScheduling event, once `kubelab describe pod` shows one."""
    messages = [e["Message"] for e in await events(cluster, ns, pod) if e["Reason"] == "FailedScheduling"]
    return messages[-1] if messages else None


# --- the nodes' side -------------------------------------------------------------------------------------

def agent_runs(cluster, node: str, uid: str) -> bool:
    """Whether `node`'s kubelet runs the pod: its container's state.json, under the node's root dir, names a
    live process (services/kubelet/paths.py)."""
    for state in (cluster.node_dir(node) / "var/lib/kubelet/pods" / uid / "containers").glob("*/*/state.json"):
        try:
            pid = json.loads(state.read_text())["pid"]
            os.kill(pid, 0)
        except (OSError, ValueError, KeyError):
            continue
        if not (state.parent / "exit.json").exists():
            return True
    return False


def nodes_with_pod_dir(cluster, uid: str) -> list[str]:
    return [n for n in NODES if (cluster.node_dir(n) / "var/lib/kubelet/pods" / uid).exists()]


async def running_on_their_nodes(cluster, client: Client, ns: str, app: str, count: int,
                                 timeout: float = 60) -> dict[str, str]:
    """Wait until `count` pods of `app` are Running in `kubelab get pods -o wide`, each on the node that
    column names and run by that node's agent and no other; returns {pod: node}."""
    async def placed():
        rows = await wide(cluster, ns, f"app={app}")
        if len(rows) != count or any(r["STATUS"] != "Running" or r["READY"] != "1/1" for r in rows.values()):
            return None
        pods, _ = await client.list("Pod", ns, label_selector=f"app={app}")
        uids = {p.metadata.name: p.metadata.uid for p in pods}
        if set(uids) != set(rows) or not all(agent_runs(cluster, r["NODE"], uids[n]) for n, r in rows.items()):
            return None
        return {n: r["NODE"] for n, r in rows.items()}, uids
    where, uids = await wait_for(placed, timeout, f"{count} pods of {app} Running on their nodes")
    for name, node in where.items():
        assert nodes_with_pod_dir(cluster, uids[name]) == [node], f"{name} has a pod dir on another node"
    return where


def per_node(where: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for node in where.values():
        counts[node] += 1
    return dict(counts)


# --- nodes changed as a user changes them (kubectl label, kubectl taint) ----------------------------------

async def label_node(client: Client, node: str, labels: dict[str, str | None]) -> None:
    """`kubectl label node NODE k=v k-`: a merge patch of the labels (None removes one)."""
    await client.patch("Node", node, {"metadata": {"labels": labels}})


def _copy(taint: core_pb2.Taint) -> core_pb2.Taint:
    out = core_pb2.Taint()
    out.CopyFrom(taint)
    return out


async def _change_taints(client: Client, node: str, change) -> None:
    for _ in range(10):  # read, change, write with the resourceVersion read; the kubelet writes too
        obj = await client.get("Node", node)
        taints = change([_copy(t) for t in obj.spec.taints])
        del obj.spec.taints[:]
        obj.spec.taints.extend(taints)
        try:
            await client.update(obj)
            return
        except ApiError as e:
            if not is_conflict(e):
                raise
    raise AssertionError(f"node {node} kept changing")


async def taint_node(client: Client, node: str, key: str, value: str, effect: str) -> None:
    """`kubectl taint node NODE key=value:effect`."""
    new = core_pb2.Taint(key=key, value=value, effect=effect)
    await _change_taints(client, node, lambda ts: [t for t in ts if (t.key, t.effect) != (key, effect)] + [new])


async def untaint_node(client: Client, node: str, key: str, effect: str) -> None:
    """`kubectl taint node NODE key:effect-`."""
    await _change_taints(client, node, lambda ts: [t for t in ts if (t.key, t.effect) != (key, effect)])


# --- every node name each pod was seen with ---------------------------------------------------------------

class Bindings:
    """Every nodeName each pod of a namespace was seen with, in order, from one watch started before the
    pods exist: a pod bound twice (or moved) shows two."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.nodes: dict[str, list[str]] = defaultdict(list)

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            obj = ev.object
            if obj is None or not obj.spec.node_name:
                continue
            seen = self.nodes[obj.metadata.name]
            if not seen or seen[-1] != obj.spec.node_name:
                seen.append(obj.spec.node_name)

    def bound(self) -> int:
        return len(self.nodes)


@pytest.fixture
async def bindings(client, ns):
    async with running(Bindings(client, ns)) as b:
        yield b

