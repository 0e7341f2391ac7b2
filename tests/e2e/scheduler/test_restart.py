"""The scheduler killed while a batch of pods is being scheduled, then started again (`kubelab kill
scheduler`, `kubelab start scheduler`): every pod ends Running on exactly one node, none is ever bound twice.

So that the kill surely lands mid-binding, the batch holds a StatefulSet whose pods have
WaitForFirstConsumer claims while the provisioner is stopped: the scheduler has picked their nodes (the
claims carry `volume.kubernetes.io/selected-node`) and waits in PreBind for volumes that cannot come. A
Deployment's pods stream in beside them: before the kill, while it is under way, and once the scheduler
is down. The restarted scheduler waits for the dead leader's lease to expire, rebuilds its queue and cache
from the API and binds what is still unbound: the StatefulSet's pods where their provisioned volumes
are (the nodes picked before the kill), the rest anywhere. A watch started before the first pod records
every node name each pod is seen with: one per pod, always.
"""
from __future__ import annotations

import asyncio
import json
from collections import Counter

from tests.e2e.scheduler.conftest import deployment, running_on_their_nodes, wait_for, wide

SELECTED_NODE = "volume.kubernetes.io/selected-node"
FIRST, DURING_KILL, WHILE_DOWN = 12, 24, 30
"""The Deployment's replicas: applied, scaled to while the kill is under way, scaled to once it is done."""
DATA = 3
"""The StatefulSet's replicas."""

STATEFULSET = f"""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: data
spec:
  serviceName: data
  replicas: {DATA}
  podManagementPolicy: Parallel
  selector:
    matchLabels: {{app: data}}
  template:
    metadata:
      labels: {{app: data}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: registry.k8s.io/pause
        resources: {{requests: {{cpu: 10m}}}}
        volumeMounts: [{{name: data, mountPath: /data}}]
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {{requests: {{storage: 1Gi}}}}
"""


async def claims(client, ns: str) -> dict:
    items, _ = await client.list("PersistentVolumeClaim", ns)
    return {c.metadata.name: c for c in items}


async def test_scheduler_killed_mid_batch_and_restarted_binds_every_pod_once(cluster, client, ns, apply,
                                                                             bindings):
    await cluster.kubelab("stop", "provisioner")
    try:
        await apply(deployment("stream", FIRST, cpu="10m") + "---\n" + STATEFULSET)

        async def in_flight():  # the scheduler picked nodes for the claims and waits for their volumes
            picked = {n: c.metadata.annotations.get(SELECTED_NODE) for n, c in (await claims(client, ns)).items()}
            return picked if len(picked) == DATA and all(picked.values()) and bindings.bound() >= 1 else None
        selected = await wait_for(in_flight, 60, "the claims' nodes picked and a first pod bound")
        assert not any(bindings.nodes.get(f"data-{i}") for i in range(DATA))
        async with asyncio.TaskGroup() as tg:  # more pods come while the scheduler is being killed
            tg.create_task(cluster.kubelab("scale", "deployment/stream", "--replicas", str(DURING_KILL), "-n", ns))
            await cluster.kubelab("kill", "scheduler")
        await cluster.kubelab("scale", "deployment/stream", "--replicas", str(WHILE_DOWN), "-n", ns)

        async def waiting_while_down():
            rows = await wide(cluster, ns)
            pending = [n for n, r in rows.items() if (r["STATUS"], r["NODE"]) == ("Pending", "<none>")]
            enough = len(rows) == WHILE_DOWN + DATA and len(pending) >= WHILE_DOWN - DURING_KILL + DATA
            return pending if enough else None
        pending = await wait_for(waiting_while_down, 60, "the pods created while the scheduler is down, Pending")
        assert not any(bindings.nodes.get(name) for name in pending)
    finally:
        await cluster.kubelab("start", "provisioner")

    async def provisioned():  # on the nodes picked before the kill
        got = await claims(client, ns)
        return all(c.status.phase == "Bound" for c in got.values())
    await wait_for(provisioned, 60, "the claims provisioned and bound")
    await cluster.kubelab("start", "scheduler")
    where = {**await running_on_their_nodes(cluster, client, ns, "stream", WHILE_DOWN, timeout=90),
             **await running_on_their_nodes(cluster, client, ns, "data", DATA)}
    assert {f"data-{i}": selected[f"data-data-{i}"] for i in range(DATA)}.items() <= where.items()

    async def all_seen_bound():
        return bindings.bound() == WHILE_DOWN + DATA
    await wait_for(all_seen_bound, 30, "the watch to see every pod bound")
    moved = {name: nodes for name, nodes in bindings.nodes.items() if len(nodes) != 1}
    assert moved == {}, f"pods seen on more than one node: {moved}"
    assert {name: nodes[0] for name, nodes in bindings.nodes.items()} == where

    # The Scheduled events agree: at most one per pod (one bound just before the kill may have lost its
    # event with the process), each naming the pod's node; the pods bound after the restart all have one.
    listed = json.loads(await cluster.kubelab("events", "-n", ns, "-o", "json"))
    scheduled = [e for e in listed["items"] if e["reason"] == "Scheduled"]
    assert all(n == 1 for n in Counter(e["involvedObject"]["name"] for e in scheduled).values())
    for e in scheduled:
        name = e["involvedObject"]["name"]
        assert e.get("count", 1) == 1 and e["message"] == f"Successfully assigned {ns}/{name} to {where[name]}"
    assert {e["involvedObject"]["name"] for e in scheduled} >= set(pending)
