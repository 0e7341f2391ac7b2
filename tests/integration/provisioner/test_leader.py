"""Two provisioners with leader election: one acts; when it dies the other takes over."""
from __future__ import annotations

from tests.integration.provisioner.conftest import builtin_classes, claim, new_namespace, wait_for

ELECTION = ("--leader-elect", "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1.5s",
            "--leader-elect-retry-period", "0.5s")


async def test_standby_takes_over_when_the_leader_is_killed(client, start_provisioner):
    await builtin_classes(client)
    first = await start_provisioner(*ELECTION, "--leader-elect-identity", "first")
    second = await start_provisioner(*ELECTION, "--leader-elect-identity", "second")
    ns = await new_namespace(client)

    async def holder():
        lease = await client.get("Lease", "provisioner", "kube-system")
        return lease.spec.holder_identity if lease.spec.holder_identity in ("first", "second") else None
    leader = await wait_for(holder, what="a leader")
    await client.create(claim("before", ns, cls="shared"))
    await wait_for(lambda: _bound(client, ns, "before"), what="claim bound by the leader")

    (first if leader == "first" else second).kill()
    await client.create(claim("after", ns, cls="shared"))
    await wait_for(lambda: _bound(client, ns, "after"), timeout=30, what="claim bound by the new leader")
    assert await holder() == ("second" if leader == "first" else "first")
    volumes, _ = await client.list("PersistentVolume")
    for name in ("before", "after"):
        uid = (await client.get("PersistentVolumeClaim", name, ns)).metadata.uid
        assert [v.metadata.name for v in volumes if v.spec.claim_ref.uid == uid] == [f"pvc-{uid}"]


async def _bound(client, ns, name):
    return (await client.get("PersistentVolumeClaim", name, ns)).status.phase == "Bound"
