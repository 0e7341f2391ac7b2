"""The controllers die mid-rollout (SIGKILL) and come back: they pick up from the API's state, create no
pod twice and never exceed maxSurge; with two replicas and leader election only the leader acts."""
from __future__ import annotations

from tests.integration.replicaset.conftest import pods_of, update, wait_for
from tests.integration.replicaset.test_rolling_update import NEW, OLD, release_next, rolled_out, sizes


async def test_killed_mid_rollout_and_restarted(client, ns, controller, nodes, replica_sets):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    await rolled_out(client, ns, strategy=strategy)  # 3 replicas
    released: list[str] = []
    nodes.ready = lambda pod: pod.spec.containers[0].image == OLD or pod.metadata.name in released

    def new_image(d):
        d.spec.template.spec.containers[0].image = NEW
    await update(client, "Deployment", ns, "web", new_image)
    await wait_for(lambda: _sizes_are(client, ns, {OLD: 2, NEW: 2}), 20, "the first step")
    controller.kill()
    await release_next(client, ns, nodes, released)  # progress while nobody is watching
    controller.start()
    while len(released) < 3:
        await release_next(client, ns, nodes, released)

    async def done():
        d = await client.get("Deployment", "web", ns)
        st = d.status
        return (st.updated_replicas, st.replicas, st.available_replicas) == (3, 3, 3)
    await wait_for(done, 20, "the rollout to finish after the restart")
    assert await sizes(client, ns) == {OLD: 0, NEW: 3}
    assert len([n for t, n, image in nodes.log if t == "ADDED" and image == NEW]) == 3  # none twice
    assert replica_sets.max_total == 4  # maxSurge 1, used and never exceeded (pods: see ReplicaSetSizes)
    assert nodes.max_active <= 5
    assert len(await pods_of(client, ns)) == 3


async def _sizes_are(client, ns, want):
    return await sizes(client, ns) == want


async def test_only_the_leader_acts(client, apiserver, ns, controllers, nodes):
    flags = ("--leader-elect", "--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s",
             "--leader-elect-retry-period", "0.5s")
    procs = {name: controllers("replicaset", *flags, "--leader-elect-identity", name) for name in ("rs-a", "rs-b")}

    async def leader():
        lease = await client.get("Lease", "replicaset", "kube-system")
        return lease.spec.holder_identity or None
    holder = await wait_for(leader, 20, "a leader")
    await rolled_out(client, ns)
    assert len(nodes.created) == 3  # one controller created them, not two
    procs[holder].kill()
    other = next(name for name in procs if name != holder)

    async def took_over():
        return (await leader()) == other
    await wait_for(took_over, 20, f"{other} to lead")
    await update(client, "Deployment", ns, "web", lambda d: setattr(d.spec, "replicas", 5))

    async def five():
        return len(await pods_of(client, ns)) == 5
    await wait_for(five, 20, "the new leader to scale")
    # the API lists five; the stand-in kubelets' watch may be a moment behind it (seen under load)
    await wait_for(lambda: len(nodes.created) >= 5, 10, "the watch to see the fifth pod")
    assert len(nodes.created) == 5  # the new leader made two, nobody made more
