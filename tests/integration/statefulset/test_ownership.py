"""Claim retention policies as ownerReferences (TestAutodeleteOwnerRefs), another controller's claim,
adoption and release of pods, and the events the controller records."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import core_pb2, meta_pb2
from tests.integration.statefulset.conftest import claims_of, get_set, pods_of, update_set, wait_for, web


async def ready(client, ns, n):
    async def ok():
        sts = await get_set(client, ns)
        return sts if sts.status.ready_replicas == n == sts.status.replicas else None
    return await wait_for(ok, 30, f"{n} ready replicas")


def controllers(claim) -> set[tuple[str, str]]:
    return {(r.kind, r.name) for r in claim.metadata.owner_references if r.controller}


@pytest.mark.parametrize("deleted, scaled", [("Retain", "Retain"), ("Delete", "Retain"), ("Retain", "Delete"),
                                             ("Delete", "Delete")])
async def test_claim_owner_refs_follow_the_retention_policy(client, ns, controller, kubelet, deleted, scaled):
    policy = {"whenDeleted": deleted, "whenScaled": scaled}
    await client.create(web(3, persistentVolumeClaimRetentionPolicy=policy), ns)
    await ready(client, ns, 3)
    set_ref = {("StatefulSet", "web")} if deleted == "Delete" else set()
    claims = await claims_of(client, ns)
    assert {n: controllers(c) for n, c in claims.items()} == {f"www-web-{i}": set_ref for i in range(3)}
    pods = await pods_of(client, ns)
    await update_set(client, ns, lambda s: setattr(s.spec, "replicas", 1))
    await ready(client, ns, 1)
    claims = await claims_of(client, ns)  # no garbage collector runs here: the claims stay, with their refs
    assert controllers(claims["www-web-0"]) == set_ref
    for i in (1, 2):
        want = {("Pod", f"web-{i}")} if scaled == "Delete" else set_ref
        assert controllers(claims[f"www-web-{i}"]) == want
        if scaled == "Delete":
            ref = claims[f"www-web-{i}"].metadata.owner_references[0]
            assert ref.uid == pods[f"web-{i}"].metadata.uid


async def test_a_claim_controlled_by_another_object_is_left_to_it(client, ns, controller, kubelet):
    other = core_pb2.Service()  # any object may act as a claim's controller
    other.metadata.name = "owner"
    other.spec.ports.add(port=80)
    other = await client.create(other, ns)
    claim = core_pb2.PersistentVolumeClaim()
    claim.metadata.name, claim.metadata.labels["app"] = "www-web-1", "nginx"
    claim.metadata.owner_references.append(meta_pb2.OwnerReference(
        api_version="v1", kind="Service", name="owner", uid=other.metadata.uid, controller=True))
    claim.spec.access_modes.append("ReadWriteOnce")
    claim.spec.resources.requests["storage"] = "1Gi"
    await client.create(claim, ns)
    await client.create(web(2, persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete",
                                                                     "whenScaled": "Delete"}), ns)
    await ready(client, ns, 2)
    claims = await claims_of(client, ns)
    assert controllers(claims["www-web-1"]) == {("Service", "owner")}
    assert controllers(claims["www-web-0"]) == {("StatefulSet", "web")}

    async def warned():
        items, _ = await client.list("Event", ns)
        return [e for e in items if e.reason == "ConflictingController"]
    events = await wait_for(warned, what="a ConflictingController event")
    assert events[0].type == "Warning" and events[0].message == (
        "PersistentVolumeClaim www-web-1 has a conflicting OwnerReference that acts as a manging controller, "
        "the retention policy is ignored for this claim")


async def test_adopts_matching_orphans_and_releases_pods_that_stop_matching(client, ns, controller, kubelet):
    """should adopt matching orphans and release non-matching pods."""
    sts = await client.create(web(2), ns)
    await ready(client, ns, 2)

    async def owner_of(name):
        pod = (await pods_of(client, ns))[name]
        return next(((r.kind, r.uid) for r in pod.metadata.owner_references if r.controller), None), pod

    _, pod = await owner_of("web-0")
    del pod.metadata.owner_references[:]
    await client.update(pod)

    async def adopted():
        ref, _ = await owner_of("web-0")
        return ref == ("StatefulSet", sts.metadata.uid)
    await wait_for(adopted, what="web-0 re-adopted")

    _, pod = await owner_of("web-0")
    pod.metadata.labels["app"] = "elsewhere"
    await client.update(pod)

    async def released():
        ref, _ = await owner_of("web-0")
        return ref is None
    await wait_for(released, what="web-0 released")

    _, pod = await owner_of("web-0")
    pod.metadata.labels["app"] = "nginx"
    await client.update(pod)
    await wait_for(adopted, what="web-0 adopted again")


async def test_events_are_worded_as_kubernetes_words_them(client, ns, controller, kubelet):
    await client.create(web(2), ns)
    await ready(client, ns, 2)
    await update_set(client, ns, lambda s: setattr(s.spec, "replicas", 1))
    await ready(client, ns, 1)
    want = {("SuccessfulCreate", "create Claim www-web-0 Pod web-0 in StatefulSet web success"),
            ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"),
            ("SuccessfulCreate", "create Claim www-web-1 Pod web-1 in StatefulSet web success"),
            ("SuccessfulCreate", "create Pod web-1 in StatefulSet web successful"),
            ("SuccessfulDelete", "delete Pod web-1 in StatefulSet web successful")}

    async def recorded():
        items, _ = await client.list("Event", ns)
        got = {(e.reason, e.message) for e in items if e.involved_object.kind == "StatefulSet"}
        return got if want <= got else None
    got = await wait_for(recorded, what="the controller's events")
    assert all(e.source.component == "statefulset-controller" for e in (await client.list("Event", ns))[0]
               if e.involved_object.kind == "StatefulSet")
    assert got == want
