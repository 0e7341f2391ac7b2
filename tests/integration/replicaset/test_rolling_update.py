"""RollingUpdate step by step: new pods are held unready, then released one at a time; between releases
the rollout must stand still at exactly the sizes maxSurge and maxUnavailable allow."""
from __future__ import annotations

import pytest

from tests.integration.replicaset.conftest import observed, update, wait_for, web

OLD, NEW = "nginx:1.25", "nginx:1.26"


async def sizes(client, ns: str) -> dict[str, int]:
    items, _ = await client.list("ReplicaSet", ns)
    return {rs.spec.template.spec.containers[0].image: rs.spec.replicas for rs in items}


async def sync_point(client, ns: str):
    """A harmless spec change (progressDeadlineSeconds) and wait until the controller has seen it."""
    d = await update(client, "Deployment", ns, "web",
                     lambda d: setattr(d.spec, "progress_deadline_seconds", d.spec.progress_deadline_seconds + 1))
    return await observed(client, "Deployment", ns, "web", d.metadata.generation)


async def settled(client, ns: str, old: int, new: int) -> None:
    want = {OLD: old, NEW: new}
    await wait_for(lambda: _equal(client, ns, want), 20, f"sizes {want}")
    await sync_point(client, ns)
    assert await sizes(client, ns) == want  # and it stays there


async def _equal(client, ns, want):
    return await sizes(client, ns) == want


async def rolled_out(client, ns: str, **spec):
    await client.create(web(3, **spec), ns)

    async def done():
        d = await client.get("Deployment", "web", ns)
        return d if d.status.available_replicas == 3 and d.status.updated_replicas == 3 else None
    return await wait_for(done, 20, "the first rollout")


async def start_update(client, ns, nodes) -> list[str]:
    released: list[str] = []
    nodes.ready = lambda pod: pod.spec.containers[0].image == OLD or pod.metadata.name in released

    def new_image(d):
        d.spec.template.spec.containers[0].image = NEW
    await update(client, "Deployment", ns, "web", new_image)
    return released


async def release_next(client, ns, nodes, released: list[str]) -> None:
    """Make the one pending new pod ready."""
    async def pending():
        items, _ = await client.list("Pod", ns)
        return [p.metadata.name for p in items if p.spec.containers[0].image == NEW and p.spec.node_name
                and p.metadata.name not in released and not p.metadata.HasField("deletion_timestamp")]
    names = await wait_for(pending, 20, "a new pod to release")
    released.extend(names)
    for name in names:
        await nodes.make_ready(name)


@pytest.mark.parametrize("surge,unavailable,steps", [
    (1, 0, [(3, 1), (2, 2), (1, 3), (0, 3)]),
    (0, 1, [(2, 1), (1, 2), (0, 3)]),
    ("50%", "25%", [(3, 2), (1, 3), (0, 3)]),   # of 3: surge 2 (1.5 up), unavailable 0 (0.75 down)
])
async def test_rolling_update_stands_still_between_ready_pods(client, ns, controller, nodes, replica_sets, surge,
                                                              unavailable, steps):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    await rolled_out(client, ns, strategy=strategy)
    released = await start_update(client, ns, nodes)
    for old, new in steps:
        await settled(client, ns, old, new)
        if new > len(released):
            await release_next(client, ns, nodes, released)

    async def complete():
        d = await client.get("Deployment", "web", ns)
        st = d.status
        return d if (st.updated_replicas, st.replicas, st.available_replicas) == (3, 3, 3) else None
    d = await wait_for(complete, 20, "the rollout to complete")
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    progressing = next(c for c in d.status.conditions if c.type == "Progressing")
    assert progressing.reason == "NewReplicaSetAvailable"
    surge_n = {1: 1, 0: 0, "50%": 2}[surge]
    assert replica_sets.max_total == 3 + surge_n  # the surge used, never exceeded
    assert nodes.max_active <= 3 + surge_n + 1  # one more for a moment: see ReplicaSetSizes


async def test_scaling_in_the_middle_of_a_rollout_is_proportional(client, ns, controller, nodes):
    # Kubernetes' documentation example: 10 replicas, maxSurge 3, maxUnavailable 2, the new pods never get
    # ready; at 8 old and 5 new pods the Deployment is scaled to 15: 3 go to the old set, 2 to the new one.
    await client.create(web(10, strategy={"type": "RollingUpdate",
                                          "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}), ns)

    async def ready():
        d = await client.get("Deployment", "web", ns)
        return d.status.available_replicas == 10
    await wait_for(ready, 30, "10 available replicas")
    await start_update(client, ns, nodes)
    await settled(client, ns, 8, 5)
    await update(client, "Deployment", ns, "web", lambda d: setattr(d.spec, "replicas", 15))
    await settled(client, ns, 11, 7)
    items, _ = await client.list("ReplicaSet", ns)
    assert {(rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"],
             rs.metadata.annotations["deployment.kubernetes.io/max-replicas"]) for rs in items} == {("15", "18")}
