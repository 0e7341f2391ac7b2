"""Static binding and reclaim, with the real API server and the provisioner process."""
from __future__ import annotations

import uuid

from tests.integration.provisioner.conftest import (
    claim, ensure, events_for, get_or_none, new_namespace, storage_class, volume, wait_for,
)


async def bound(client, ns, name):
    async def check():
        c = await client.get("PersistentVolumeClaim", name, ns)
        return c if c.status.phase == "Bound" else None
    return await wait_for(check, what=f"claim {ns}/{name} Bound")


async def available(client, name):
    async def check():
        return (await client.get("PersistentVolume", name)).status.phase == "Available"
    await wait_for(check, what=f"volume {name} Available")


async def test_static_binding_picks_the_smallest_fitting_volume_of_the_class(client, start_provisioner):
    await start_provisioner()
    ns, cls, tag = await new_namespace(client), f"manual-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    for v in (volume(f"big-{tag}", "10Gi", cls), volume(f"fit-{tag}", "2Gi", cls),
              volume(f"small-{tag}", "1Gi", cls), volume(f"other-class-{tag}", "2Gi", f"{cls}-x"),
              volume(f"rwx-{tag}", "2Gi", cls, modes=("ReadWriteOnce", "ReadWriteMany"))):
        await client.create(v)
    for name in ("big", "fit", "small", "other-class", "rwx"):
        await available(client, f"{name}-{tag}")
    await client.create(claim("data", ns, "1500Mi", cls=cls))
    c = await bound(client, ns, "data")
    assert c.spec.volume_name == f"fit-{tag}"
    assert c.metadata.annotations["pv.kubernetes.io/bind-completed"] == "yes"
    assert c.metadata.annotations["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert dict(c.status.capacity) == {"storage": "2Gi"} and list(c.status.access_modes) == ["ReadWriteOnce"]
    pv = await client.get("PersistentVolume", f"fit-{tag}")
    assert (pv.spec.claim_ref.namespace, pv.spec.claim_ref.name, pv.spec.claim_ref.uid) == (ns, "data", c.metadata.uid)
    assert pv.status.phase == "Bound"

    async def protected():
        c = await client.get("PersistentVolumeClaim", "data", ns)
        pv = await client.get("PersistentVolume", f"fit-{tag}")
        return "kubernetes.io/pvc-protection" in c.metadata.finalizers and \
            "kubernetes.io/pv-protection" in pv.metadata.finalizers
    await wait_for(protected, what="protection finalizers")
    for name in ("big", "small", "other-class", "rwx"):
        assert (await client.get("PersistentVolume", f"{name}-{tag}")).status.phase == "Available"


async def test_retained_volume_is_released_and_never_rebound_by_itself(client, start_provisioner):
    await start_provisioner()
    ns, cls, name = await new_namespace(client), f"keep-{uuid.uuid4().hex[:6]}", f"kept-{uuid.uuid4().hex[:6]}"
    await client.create(volume(name, "1Gi", cls, policy="Retain"))
    await client.create(claim("first", ns, cls=cls))
    await bound(client, ns, "first")
    await client.delete("PersistentVolumeClaim", "first", ns)

    async def released():
        pv = await client.get("PersistentVolume", name)
        return pv if pv.status.phase == "Released" else None
    pv = await wait_for(released, what="volume Released")
    assert pv.spec.claim_ref.name == "first"
    await client.create(claim("second", ns, cls=cls))
    # The binder has looked at the new claim (and found no volume) at least twice.
    await wait_for(lambda: _count(client, ns, "second", "ProvisioningFailed", 2), what="two syncs of the claim")
    assert (await client.get("PersistentVolumeClaim", "second", ns)).status.phase == "Pending"
    assert (await client.get("PersistentVolume", name)).status.phase == "Released"
    # An admin clears the claimRef: the volume is Available again and the waiting claim gets it.
    pv = await client.get("PersistentVolume", name)
    pv.spec.ClearField("claim_ref")
    await client.update(pv)
    assert (await bound(client, ns, "second")).spec.volume_name == name


async def _count(client, ns, name, reason, at_least):
    events = await events_for(client, ns, name, reason)
    return events and events[0].count >= at_least


async def test_pre_bound_claim_and_mismatch(client, start_provisioner):
    await start_provisioner()
    ns, cls, tag = await new_namespace(client), f"pre-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    await client.create(volume(f"wanted-{tag}", "5Gi", cls))
    await client.create(volume(f"tiny-{tag}", "1Mi", cls))
    await client.create(claim("named", ns, cls=cls, volume=f"wanted-{tag}"))
    c = await bound(client, ns, "named")
    assert "pv.kubernetes.io/bound-by-controller" not in c.metadata.annotations
    await client.create(claim("too-big", ns, cls=cls, volume=f"tiny-{tag}"))
    [event] = await wait_for(lambda: events_for(client, ns, "too-big", "VolumeMismatch"), what="VolumeMismatch")
    assert event.message == f'Cannot bind to requested volume "tiny-{tag}": requested PV is too small'
    assert event.type == "Warning"


async def test_bound_claim_whose_volume_is_deleted_is_lost(client, start_provisioner):
    await start_provisioner()
    ns, cls, name = await new_namespace(client), f"lost-{uuid.uuid4().hex[:6]}", f"lost-{uuid.uuid4().hex[:6]}"
    await client.create(volume(name, "1Gi", cls))
    await client.create(claim("data", ns, cls=cls))
    await bound(client, ns, "data")
    await wait_for(lambda: _has_finalizer(client, name), what="pv-protection finalizer")
    pv, gone = await client.delete("PersistentVolume", name)
    assert not gone  # Bound: pv-protection keeps it
    pv.metadata.ClearField("finalizers")  # an admin forces it out
    await client.update(pv)
    await wait_for(lambda: _gone(client, name), what="volume gone")

    async def lost():
        c = await client.get("PersistentVolumeClaim", "data", ns)
        return c.status.phase == "Lost"
    await wait_for(lost, what="claim Lost")
    [event] = await wait_for(lambda: events_for(client, ns, "data", "ClaimLost"), what="ClaimLost event")
    assert event.message == "Bound claim has lost its PersistentVolume. Data on the volume is lost!"


async def _gone(client, name):
    return await get_or_none(client, "PersistentVolume", name) is None


async def _has_finalizer(client, name):
    pv = await client.get("PersistentVolume", name)
    return "kubernetes.io/pv-protection" in pv.metadata.finalizers


async def test_wait_for_first_consumer_static_binding_chosen_by_the_scheduler_is_completed(client, start_provisioner):
    await start_provisioner()
    ns, tag = await new_namespace(client), uuid.uuid4().hex[:6]
    cls = f"local-{tag}"
    await ensure(client, storage_class(cls, "kubernetes.io/no-provisioner", "WaitForFirstConsumer"))
    await client.create(volume(f"local-{tag}", "1Gi", cls))
    await available(client, f"local-{tag}")
    await client.create(claim("data", ns, cls=cls))
    await wait_for(lambda: events_for(client, ns, "data", "WaitForFirstConsumer"), what="WaitForFirstConsumer")
    assert (await client.get("PersistentVolume", f"local-{tag}")).status.phase == "Available"  # left to the scheduler
    # What the scheduler's PreBind writes for a static binding: the chosen volume's claimRef.
    c = await client.get("PersistentVolumeClaim", "data", ns)
    pv = await client.get("PersistentVolume", f"local-{tag}")
    ref = pv.spec.claim_ref
    ref.kind, ref.api_version, ref.namespace, ref.name = "PersistentVolumeClaim", "v1", ns, "data"
    ref.uid = c.metadata.uid
    pv.metadata.annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
    await client.update(pv)
    assert (await bound(client, ns, "data")).spec.volume_name == f"local-{tag}"
