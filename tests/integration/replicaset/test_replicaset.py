"""The ReplicaSet controller as a process: create, scale, adopt, release, replace, status, events."""
from __future__ import annotations

import yaml

from kubelab.api.v1 import core_pb2
from kubelab.manifest import from_dict
from tests.integration.replicaset.conftest import events_for, observed, pods_of, set_state, update, wait_for

RS = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""


def replica_set(replicas: int = 3, min_ready: int = 0):
    data = yaml.safe_load(RS)
    data["spec"]["replicas"] = replicas
    data["spec"]["minReadySeconds"] = min_ready
    return from_dict(data)


async def count(client, ns: str, n: int) -> list:
    async def exactly():
        pods = await pods_of(client, ns)
        return pods if len(pods) == n else None
    return await wait_for(exactly, what=f"{n} active pods")


async def status(client, ns: str, **want):
    async def matches():
        rs = await client.get("ReplicaSet", "web", ns)
        got = {k: getattr(rs.status, k) for k in want}
        return rs if got == want else None
    return await wait_for(matches, what=f"status {want}")


async def test_creates_pods_from_the_template_and_reports_status(client, ns, controller, nodes):
    await client.create(replica_set(3), ns)
    pods = await count(client, ns, 3)
    rs = await status(client, ns, replicas=3, fully_labeled_replicas=3, ready_replicas=3, available_replicas=3)
    assert rs.status.observed_generation == rs.metadata.generation
    for pod in pods:
        assert pod.metadata.name.startswith("web-") and pod.metadata.generate_name == "web-"
        ref = pod.metadata.owner_references[0]
        assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == \
            ("ReplicaSet", "web", rs.metadata.uid, True, True)
        assert dict(pod.metadata.labels) == {"app": "web", "tier": "front"}
    events = await wait_for(lambda: _events(client, ns, 3), what="3 events")
    assert sorted(events) == sorted(f"SuccessfulCreate Created pod: {p.metadata.name}" for p in pods)


async def _events(client, ns, n):
    events = await events_for(client, ns, "web")
    return events if len(events) >= n else None


async def test_scale_down_deletes_pending_pods_first(client, ns, controller, nodes):
    await client.create(replica_set(3), ns)
    first = {p.metadata.name for p in await count(client, ns, 3)}
    await status(client, ns, ready_replicas=3)
    nodes.ready = lambda pod: pod.metadata.name in first  # the next pods stay Pending
    await update(client, "ReplicaSet", ns, "web", lambda rs: setattr(rs.spec, "replicas", 5))
    pending = {p.metadata.name for p in await count(client, ns, 5)} - first
    await status(client, ns, replicas=5, ready_replicas=3)
    await update(client, "ReplicaSet", ns, "web", lambda rs: setattr(rs.spec, "replicas", 3))
    remaining = await count(client, ns, 3)
    assert {p.metadata.name for p in remaining} == first

    async def deletes():  # events are recorded in the background: the second may follow the pods' removal
        got = [e for e in await events_for(client, ns, "web") if e.startswith("SuccessfulDelete")]
        return got if len(got) >= len(pending) else None
    got = await wait_for(deletes, what=f"{len(pending)} SuccessfulDelete events")
    assert sorted(got) == sorted(f"SuccessfulDelete Deleted pod: {n}" for n in pending)


async def test_failed_and_deleted_pods_are_replaced(client, ns, controller, nodes):
    await client.create(replica_set(2), ns)
    first = await count(client, ns, 2)
    await status(client, ns, ready_replicas=2)
    await set_state(client, await client.get("Pod", first[0].metadata.name, ns), phase="Failed", ready=False)
    await client.delete("Pod", first[1].metadata.name, ns)
    async def replaced():
        pods = await pods_of(client, ns)
        names = {p.metadata.name for p in pods}
        return len(pods) == 2 and not names & {p.metadata.name for p in first}
    await wait_for(replaced, what="two new pods")
    failed = await client.get("Pod", first[0].metadata.name, ns)
    assert failed.status.phase == "Failed"  # kept, as Kubernetes keeps it (pod GC's job, not the set's)


async def test_adopts_matching_orphans_and_releases_pods_that_stop_matching(client, ns, controller, nodes):
    orphan = core_pb2.Pod()
    orphan.metadata.name, orphan.metadata.namespace = "orphan", ns
    orphan.metadata.labels.update({"app": "web"})
    orphan.spec.containers.add(name="c", image="nginx")
    await client.create(orphan)
    rs = await client.create(replica_set(2), ns)
    pods = await count(client, ns, 2)
    adopted = await client.get("Pod", "orphan", ns)
    assert adopted.metadata.owner_references[0].uid == rs.metadata.uid
    assert "orphan" in {p.metadata.name for p in pods}

    def relabel(pod):
        pod.metadata.labels["app"] = "debug"
    await update(client, "Pod", ns, "orphan", relabel)
    async def released():
        pod = await client.get("Pod", "orphan", ns)
        return not pod.metadata.owner_references
    await wait_for(released, what="the relabelled pod to be released")
    managed = await wait_for(lambda: _owned(client, ns, rs.metadata.uid, 2), what="a replacement")
    assert "orphan" not in managed


async def _owned(client, ns, uid, n):
    pods = [p.metadata.name for p in await pods_of(client, ns)
            if any(r.uid == uid for r in p.metadata.owner_references)]
    return pods if len(pods) == n else None


async def test_available_replicas_wait_for_min_ready_seconds(client, ns, controller, nodes):
    await client.create(replica_set(1, min_ready=2), ns)
    await status(client, ns, ready_replicas=1, available_replicas=0)
    await status(client, ns, ready_replicas=1, available_replicas=1)  # requeued after minReadySeconds


async def test_spec_change_is_observed(client, ns, controller, nodes):
    await client.create(replica_set(1), ns)
    rs = await update(client, "ReplicaSet", ns, "web", lambda r: setattr(r.spec, "replicas", 2))
    await observed(client, "ReplicaSet", ns, "web", rs.metadata.generation)
    await count(client, ns, 2)
