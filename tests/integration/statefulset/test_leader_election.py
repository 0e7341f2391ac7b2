"""Two controller replicas with --leader-elect: one holds the Lease kube-system/statefulset and acts; when
it is killed, the other takes over and finishes the bring-up in order."""
from __future__ import annotations

from tests.integration.statefulset.conftest import ControllerProcess, get_set, wait_for, web

FAST = ("--leader-elect", "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1.5s",
        "--leader-elect-retry-period", "0.2s")


async def test_standby_takes_over_when_the_leader_dies(apiserver, client, ns, kubelet):
    a = ControllerProcess(apiserver.address, *FAST, "--leader-elect-identity", "sts-a").start()
    b = ControllerProcess(apiserver.address, *FAST, "--leader-elect-identity", "sts-b").start()
    try:
        async def leader():
            lease = await client.get("Lease", "statefulset", "kube-system")
            return lease.spec.holder_identity or None
        first = await wait_for(leader, what="a leader")
        leading, standby = (a, b) if first == "sts-a" else (b, a)

        hook_fired = []

        def kill_at_web_1(ev):
            if not hook_fired and ev.type == "ADDED" and ev.object.metadata.name == "web-1":
                leading.kill()
                hook_fired.append(True)
        kubelet.hooks.append(kill_at_web_1)
        await client.create(web(4), ns)

        async def ready():
            sts = await get_set(client, ns)
            return sts.status.ready_replicas == 4
        await wait_for(ready, 40, "4 ready replicas after the takeover")
        assert hook_fired and await leader() != first
        assert kubelet.created == [f"web-{i}" for i in range(4)] and kubelet.deleted == []
    finally:
        a.stop()
        b.stop()
