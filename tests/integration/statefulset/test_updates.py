"""Rolling updates, partitions, OnDelete, rollback and history, minReadySeconds: the real controller,
the test as kubelet."""
from __future__ import annotations

from kubelab.api.v1 import apps_pb2
from tests.integration.statefulset.conftest import get_set, pods_of, synced, update_set, wait_for, web

A, B = "registry.k8s.io/nginx-slim:0.24", "registry.k8s.io/nginx-slim:0.27"


def image(pod) -> str:
    return pod.spec.containers[0].image


async def set_image(client, ns, img, **strategy):
    def change(sts):
        sts.spec.template.spec.containers[0].image = img
        if "partition" in strategy:
            sts.spec.update_strategy.rolling_update.partition = strategy["partition"]
    return await update_set(client, ns, change)


async def settled(client, ns, n=3, img=None):
    """All n pods Ready (at image `img`) and the status caught up with them: the controller's count of
    updated replicas too, else its status may still be the one written from a cache that held a
    deleted old pod Ready (ready 3, updated 2) while the API already shows every pod new."""
    async def ok():
        sts = await get_set(client, ns)
        pods = await pods_of(client, ns)
        s = sts.status
        if (s.observed_generation != sts.metadata.generation or s.ready_replicas != n or len(pods) != n
                or img and s.updated_replicas != n):
            return None
        if img and any(image(p) != img or p.metadata.HasField("deletion_timestamp") for p in pods.values()):
            return None
        return sts
    return await wait_for(ok, 40, f"{n} ready pods at {img}")


async def observed(client, ns, generation):
    """The controller finished a sync of this generation (actions come before the status write)."""
    async def ok():
        sts = await get_set(client, ns)
        return sts if sts.status.observed_generation >= generation else None
    return await wait_for(ok, what=f"generation {generation} observed")


async def revisions(client, ns) -> dict[str, apps_pb2.ControllerRevision]:
    items, _ = await client.list("ControllerRevision", ns)
    return {r.metadata.name: r for r in items}


async def test_rolling_update_from_the_highest_ordinal_one_at_a_time(client, ns, controller, kubelet):
    """Conformance: rolling updates in reverse ordinal order; at the end currentRevision == new revision."""
    await client.create(web(3), ns)
    before = await settled(client, ns, 3, A)
    assert before.status.current_revision == before.status.update_revision
    kubelet.created.clear()
    await set_image(client, ns, B)
    after = await settled(client, ns, 3, B)
    assert kubelet.deleted == ["web-2", "web-1", "web-0"] and kubelet.created == ["web-2", "web-1", "web-0"]
    s = after.status
    assert s.current_revision == s.update_revision != before.status.update_revision
    assert (s.current_replicas, s.updated_replicas) == (3, 3)
    assert all(p.metadata.labels["controller-revision-hash"] == s.update_revision
               for p in (await pods_of(client, ns)).values())


async def test_canary_and_phased_rollout_with_a_partition(client, ns, controller, kubelet):
    """Conformance: partition=3 changes nothing, partition=2 updates web-2 only, a deleted pod comes back
    at the revision the partition gives it, lowering the partition to 0 completes the rollout."""
    await client.create(web(3), ns)
    first = await settled(client, ns, 3, A)
    uids = {n: p.metadata.uid for n, p in (await pods_of(client, ns)).items()}
    changed = await set_image(client, ns, B, partition=3)
    await observed(client, ns, changed.metadata.generation)
    assert {n: p.metadata.uid for n, p in (await pods_of(client, ns)).items()} == uids

    await update_set(client, ns, lambda s: setattr(s.spec.update_strategy.rolling_update, "partition", 2))

    async def canary():
        pods = await pods_of(client, ns)
        return pods if len(pods) == 3 and [image(pods[f"web-{i}"]) for i in range(3)] == [A, A, B] and \
            not any(p.metadata.HasField("deletion_timestamp") for p in pods.values()) else None
    await wait_for(canary, 30, "web-2 alone at the new image")

    async def counted():
        sts = await get_set(client, ns)
        s = sts.status
        return sts if (s.ready_replicas, s.current_replicas, s.updated_replicas) == (3, 2, 1) else None
    sts = await wait_for(counted, what="2 current and 1 updated replicas")
    assert sts.status.current_revision == first.status.current_revision != sts.status.update_revision

    for name in ("web-0", "web-2"):
        old = (await pods_of(client, ns))[name]
        await client.delete("Pod", name, ns)

        async def back():
            p = (await pods_of(client, ns)).get(name)
            return p if p is not None and p.metadata.uid != old.metadata.uid else None
        new = await wait_for(back, 30, f"{name} to come back")
        assert image(new) == image(old), f"{name} came back at another revision"
    await settled(client, ns, 3)

    for partition in (1, 0):
        await update_set(client, ns, lambda s: setattr(s.spec.update_strategy.rolling_update, "partition",
                                                       partition))
    sts = await settled(client, ns, 3, B)

    async def complete():
        s = (await get_set(client, ns)).status
        return s.current_revision == s.update_revision
    await wait_for(complete, what="currentRevision == updateRevision")


async def test_on_delete_updates_only_pods_the_user_deletes(client, ns, controller, kubelet):
    await client.create(web(3, updateStrategy={"type": "OnDelete"}), ns)
    first = await settled(client, ns, 3, A)
    await set_image(client, ns, B)

    async def observed():
        sts = await get_set(client, ns)
        return sts if sts.status.update_revision != first.status.update_revision else None
    await wait_for(observed, what="a new update revision")
    assert {image(p) for p in (await pods_of(client, ns)).values()} == {A}
    old = (await pods_of(client, ns))["web-1"]
    await client.delete("Pod", "web-1", ns)

    async def back():
        p = (await pods_of(client, ns)).get("web-1")
        return p if p is not None and p.metadata.uid != old.metadata.uid else None
    new = await wait_for(back, what="web-1 to come back")
    assert image(new) == B

    async def counted():
        sts = await get_set(client, ns)
        s = sts.status
        return sts if (s.ready_replicas, s.current_replicas, s.updated_replicas) == (3, 2, 1) else None
    sts = await wait_for(counted, what="2 current and 1 updated replicas")
    pods = await pods_of(client, ns)
    assert (image(pods["web-0"]), image(pods["web-2"])) == (A, A)
    assert sts.status.current_revision == first.status.current_revision


async def test_rollback_reuses_the_earlier_revision(client, ns, controller, kubelet):
    """Conformance: reverting the template makes the prior revision the update revision again."""
    await client.create(web(2), ns)
    first = await settled(client, ns, 2, A)
    rev_a = first.status.update_revision
    await set_image(client, ns, B)
    second = await settled(client, ns, 2, B)
    rev_b = second.status.update_revision
    assert rev_b != rev_a
    await set_image(client, ns, A)
    third = await settled(client, ns, 2, A)

    async def rolled_back():
        s = (await get_set(client, ns)).status
        return s.current_revision == s.update_revision == rev_a
    await wait_for(rolled_back, what="the first revision to be current again")
    revs = await revisions(client, ns)
    assert set(revs) == {rev_a, rev_b}, "a rollback creates no new revision"
    assert (revs[rev_a].revision, revs[rev_b].revision) == (3, 2)
    assert third.status.collision_count == 0


async def test_revision_history_limit_trims_old_revisions(client, ns, controller, kubelet):
    await client.create(web(1, revisionHistoryLimit=1), ns)
    await settled(client, ns, 1, A)
    for i, img in enumerate(["nginx:1.1", "nginx:1.2", "nginx:1.3"]):
        await set_image(client, ns, img)
        await settled(client, ns, 1, img)

    async def trimmed():
        revs = await revisions(client, ns)
        return revs if len(revs) == 2 else None
    revs = await wait_for(trimmed, what="history trimmed to the limit (1) plus the live revision")
    assert sorted(r.revision for r in revs.values()) == [3, 4]


async def test_available_replicas_follow_min_ready_seconds(client, ns, controller, kubelet):
    """AvailableReplicas should get updated accordingly when MinReadySeconds is enabled; the next pod
    waits for the previous one to be available."""
    await client.create(web(2, minReadySeconds=3600), ns)

    async def web0_ready():
        sts = await get_set(client, ns)
        return sts if sts.status.ready_replicas == 1 else None
    await wait_for(web0_ready, what="web-0 Ready")
    sts = await synced(client, ns)
    assert sts.status.available_replicas == 0 and sorted(await pods_of(client, ns)) == ["web-0"]
    await update_set(client, ns, lambda s: setattr(s.spec, "min_ready_seconds", 1))

    async def available():
        sts = await get_set(client, ns)
        return sts if sts.status.available_replicas == 2 else None
    await wait_for(available, 30, "2 available replicas")
