"""The controller killed (SIGKILL) in the middle of a bring-up, a scale-down and a rolling update, then
restarted: it finishes the job with no ordinal duplicated or skipped and no claim lost.

The kill happens inside a watch hook, at a precise point of the API's history (a pod or claim just
created or deleted); the stand-in kubelet and binder keep working while the controller is dead.
"""
from __future__ import annotations

import asyncio

from tests.integration.statefulset.conftest import claims_of, get_set, pods_of, update_set, wait_for, web

A, B = "registry.k8s.io/nginx-slim:0.24", "registry.k8s.io/nginx-slim:0.27"


def kill_when(controller, match) -> asyncio.Event:
    """A hook that SIGKILLs the controller at the first event `match` accepts; the Event says it did."""
    killed = asyncio.Event()

    def hook(ev):
        if not killed.is_set() and match(ev):
            controller.kill()
            killed.set()
    hook.killed = killed
    return hook


def event_is(kind: str, name: str):
    return lambda ev: ev.type == kind and ev.object is not None and ev.object.metadata.name == name


async def settled(client, ns, n, img=A):
    async def ok():
        sts = await get_set(client, ns)
        pods = await pods_of(client, ns)
        s = sts.status
        return sts if (s.ready_replicas == s.replicas == n and len(pods) == n and s.observed_generation ==
                       sts.metadata.generation and s.current_revision == s.update_revision and
                       all(p.spec.containers[0].image == img for p in pods.values())) else None
    return await wait_for(ok, 60, f"{n} ready pods at {img}")


async def check_claims(client, ns, binder, n_claims):
    """Every claim created once, never deleted, bound to its own volume, used by its own pod."""
    names = [f"www-web-{i}" for i in range(n_claims)]
    assert sorted(binder.created) == names and binder.deleted == [], binder.created

    async def bound():  # the stand-in binder works on its own schedule
        claims = await claims_of(client, ns)
        return claims if sorted(claims) == names and all(c.spec.volume_name for c in claims.values()) else None
    claims = await wait_for(bound, what="every claim bound")
    assert len({claims[n].spec.volume_name for n in names}) == n_claims
    for name, pod in (await pods_of(client, ns)).items():
        assert pod.spec.volumes[0].persistent_volume_claim.claim_name == f"www-{name}"


async def test_killed_during_bring_up(client, ns, controller, kubelet, binder):
    at_pod = kill_when(controller, event_is("ADDED", "web-2"))
    kubelet.hooks.append(at_pod)
    await client.create(web(5), ns)
    await at_pod.killed.wait()
    controller.start()
    at_claim = kill_when(controller, event_is("ADDED", "www-web-4"))  # between a claim and its pod
    binder.hooks.append(at_claim)
    await at_claim.killed.wait()
    controller.start()
    await settled(client, ns, 5)
    assert kubelet.created == [f"web-{i}" for i in range(5)] and kubelet.deleted == []
    await check_claims(client, ns, binder, 5)


async def test_killed_again_and_again_during_bring_up(client, ns, controller, kubelet, binder):
    """A kill after every pod creation: each restart picks up where the last one stopped."""
    await client.create(web(4), ns)
    for i in range(4):
        hook = kill_when(controller, event_is("ADDED", f"web-{i}"))
        kubelet.hooks.append(hook)
        if i == 0 and "web-0" in kubelet.created:  # created before the hook was in place
            controller.kill()
            hook.killed.set()
        await hook.killed.wait()
        controller.start()
    await settled(client, ns, 4)
    assert kubelet.created == [f"web-{i}" for i in range(4)] and kubelet.deleted == []
    await check_claims(client, ns, binder, 4)


async def test_killed_during_scale_down(client, ns, controller, kubelet, binder):
    await client.create(web(5), ns)
    await settled(client, ns, 5)
    hook = kill_when(controller, event_is("DELETED", "web-3"))
    kubelet.hooks.append(hook)
    await update_set(client, ns, lambda s: setattr(s.spec, "replicas", 1))
    await hook.killed.wait()
    controller.start()
    await settled(client, ns, 1)
    assert kubelet.deleted == ["web-4", "web-3", "web-2", "web-1"]
    assert kubelet.created == [f"web-{i}" for i in range(5)]
    await check_claims(client, ns, binder, 5)  # Retain: the claims of removed pods stay


async def test_killed_during_rolling_update(client, ns, controller, kubelet, binder):
    await client.create(web(3), ns)
    before = await settled(client, ns, 3)
    kubelet.created.clear()
    hook = kill_when(controller, event_is("ADDED", "web-1"))
    kubelet.hooks.append(hook)

    def new_image(sts):
        sts.spec.template.spec.containers[0].image = B
    await update_set(client, ns, new_image)
    await hook.killed.wait()
    controller.start()
    after = await settled(client, ns, 3, B)
    assert kubelet.deleted == ["web-2", "web-1", "web-0"] and kubelet.created == ["web-2", "web-1", "web-0"]
    assert after.status.current_revision != before.status.current_revision
    assert all(p.metadata.labels["controller-revision-hash"] == after.status.update_revision
               for p in (await pods_of(client, ns)).values())
    await check_claims(client, ns, binder, 3)
