"""Leader election with real processes: copies of the example controller share one Lease.

Short durations (lease 3 s, renew deadline 2 s, retry 0.5 s) keep the tests quick; the stamps the
example controller writes on a Service show who acted, in resourceVersion order."""
from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid

from kubelab.client import Client
from kubelab.cluster.healthcheck import NOT_SERVING, SERVING, check_health
from kubelab.leaderelection import JITTER_FACTOR
from kubelab.process import LEADER_SERVICE
from tests.integration.runtime.conftest import new_namespace, service
from tests.support import wait_for
from tests.integration.runtime.example_controller import BY, LABEL

LEASE, RENEW, RETRY = 3.0, 2.0, 0.5
# A standby sees the leader's last renew up to one jittered retry late, and tries again up to one
# jittered retry after the lease ran out on its own clock.
TAKEOVER_BOUND = LEASE + 2 * RETRY * (1 + JITTER_FACTOR) + 0.5


class Stamps:
    """Every change of the target Service as (resourceVersion, stamped-by), from a watch."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns, self.seen = client, ns, []

    async def follow(self) -> None:
        async for ev in self.client.watch("Service", namespace=self.ns):
            if ev.object is not None and ev.object.metadata.annotations.get(BY):
                self.seen.append((int(ev.object.metadata.resource_version), ev.object.metadata.annotations[BY]))

    def by(self, identity: str) -> list[int]:
        return [rv for rv, who in self.seen if who == identity]


@contextlib.asynccontextmanager
async def cluster(client: Client, example_controllers, apiserver, n: int = 2):
    ns = await new_namespace(client, "le")
    lease = f"example-{uuid.uuid4().hex[:6]}"
    await client.create(service(ns, "target", {LABEL: "true"}))
    flags = ["--namespace", ns, "--leader-elect", "--leader-elect-resource-name", lease,
             "--leader-elect-lease-duration", f"{LEASE}s", "--leader-elect-renew-deadline", f"{RENEW}s",
             "--leader-elect-retry-period", f"{RETRY}s", "--period", "0.2"]
    procs = {f"c{i}": example_controllers(apiserver.address, *flags, identity=f"c{i}") for i in range(n)}
    stamps = Stamps(client, ns)
    async with asyncio.TaskGroup() as tg:
        follower = tg.create_task(stamps.follow())
        try:
            yield procs, stamps, lease
        finally:
            follower.cancel()


async def holder(client: Client, lease: str):
    obj = await client.get("Lease", lease, "kube-system")
    return obj.spec.holder_identity, obj.spec.lease_transitions


async def leader_of(client: Client, lease: str, stamps: Stamps) -> str:
    async def stamped_by_holder():
        try:
            who, _ = await holder(client, lease)
        except Exception:
            return None
        return who if who and stamps.by(who) else None
    return await wait_for(stamped_by_holder, 20, "a leader that stamps")


async def lease_events(client: Client, lease: str) -> list[str]:
    events, _ = await client.list("Event", "kube-system")
    return [e.message for e in events if e.involved_object.name == lease and e.reason == "LeaderElection"]


def health(proc, service: str = LEADER_SERVICE) -> str:
    return check_health(proc.address, timeout=1.0, service=service)


async def test_kill_leader_standby_takes_over(client, apiserver, example_controllers):
    async with cluster(client, example_controllers, apiserver) as (procs, stamps, lease):
        old = await leader_of(client, lease, stamps)
        new = next(i for i in procs if i != old)
        await wait_for(lambda: _async(health(procs[new]) == NOT_SERVING), 10, "standby reports standby")
        await wait_for(lambda: _async(health(procs[old]) == SERVING), 10, "leader reports leader")
        _, transitions = await holder(client, lease)

        killed = time.monotonic()
        procs[old].signal(signal.SIGKILL)
        await wait_for(lambda: _holder_is(client, lease, new), TAKEOVER_BOUND + 5, f"{new} to hold the lease")
        took = time.monotonic() - killed
        assert took <= TAKEOVER_BOUND, f"takeover took {took:.2f}s"
        assert took >= LEASE - RENEW  # not before the dead leader's lease could have run out
        await wait_for(lambda: _async(stamps.by(new)), 10, f"{new} to act")
        assert (await holder(client, lease))[1] == transitions + 1
        messages = await wait_for(lambda: _events_with(client, lease, f"{new} became leader"), 10, "event")
        assert f"{old} became leader" in messages


async def test_paused_leader_does_not_act_after_resume(client, apiserver, example_controllers):
    async with cluster(client, example_controllers, apiserver) as (procs, stamps, lease):
        old = await leader_of(client, lease, stamps)
        new = next(i for i in procs if i != old)

        procs[old].signal(signal.SIGSTOP)
        await wait_for(lambda: _holder_is(client, lease, new), LEASE + 10, f"{new} to take over")
        await wait_for(lambda: _async(len(stamps.by(new)) >= 3), 10, f"{new} to act")
        first_new = min(stamps.by(new))

        procs[old].signal(signal.SIGCONT)
        await wait_for(lambda: _events_with(client, lease, f"{old} stopped leading"), 10, f"{old} to stop leading")
        await wait_for(lambda: _async(health(procs[old]) == NOT_SERVING), 10, f"{old} to report standby")
        count = len(stamps.by(new))
        await wait_for(lambda: _async(len(stamps.by(new)) >= count + 5), 10, f"{new} to keep acting")

        late = [rv for rv in stamps.by(old) if rv > first_new]
        assert late == [], f"the resumed leader {old} wrote after {new} took over: {late}"
        assert (await holder(client, lease))[0] == new
        assert "failed to renew lease, stopped leading" in procs[old].logs()

        # The old leader rejoined as a candidate: it takes over when the new one dies.
        procs[new].signal(signal.SIGKILL)
        await wait_for(lambda: _holder_is(client, lease, old), TAKEOVER_BOUND + 5, f"{old} to lead again")
        count = len(stamps.by(old))
        await wait_for(lambda: _async(len(stamps.by(old)) > count), 10, f"{old} to act again")


async def test_sigterm_releases_the_lease(client, apiserver, example_controllers):
    async with cluster(client, example_controllers, apiserver) as (procs, stamps, lease):
        old = await leader_of(client, lease, stamps)
        new = next(i for i in procs if i != old)
        stopped = time.monotonic()
        procs[old].signal(signal.SIGTERM)
        assert procs[old].proc.wait(10) == 0
        await wait_for(lambda: _holder_is(client, lease, new), 5, f"{new} to take the released lease")
        assert time.monotonic() - stopped < LEASE  # released: no need to wait for expiry
        await wait_for(lambda: _events_with(client, lease, f"{old} stopped leading"), 5, "stopped leading event")


async def _async(value):
    return value


async def _holder_is(client: Client, lease: str, identity: str) -> bool:
    return (await holder(client, lease))[0] == identity


async def _events_with(client: Client, lease: str, message: str) -> list[str] | None:
    messages = await lease_events(client, lease)
    return messages if message in messages else None
