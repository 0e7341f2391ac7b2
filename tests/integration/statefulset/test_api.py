"""The StatefulSet through the API's verbs, with the real controller running: the status endpoint
(conditions written by others), list by label and merge patch, and updates that leave the
volumeClaimTemplates alone or change them (reference §2.1 #14, #15; §2.2 TestVolumeTemplateNoopUpdate)."""
from __future__ import annotations

import pytest
import yaml

from kubelab.errors import ApiError, is_conflict
from kubelab.manifest import from_dict
from tests.integration.statefulset.conftest import WEB, get_set, pods_of, update_set, wait_for, web
from tests.support import running

B = "registry.k8s.io/nginx-slim:0.27"
FORBIDDEN = ('StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other '
             "than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
             "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")


def conditions(sts) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in sts.status.conditions}


async def settled(client, ns, n: int, name: str = "web"):
    """n replicas Ready and the status written for the current generation."""
    async def ok():
        sts = await get_set(client, ns, name)
        s = sts.status
        return sts if s.observed_generation == sts.metadata.generation and s.ready_replicas == n == s.replicas \
            else None
    return await wait_for(ok, 30, f"{name}: {n} ready replicas")


class SetWatch:
    """Every StatefulSet event of a namespace, as a watcher sees them."""

    def __init__(self, client, ns: str):
        self.client, self.ns, self.events = client, ns, []

    async def run(self) -> None:
        async for ev in self.client.watch("StatefulSet", self.ns):
            self.events.append(ev)

    async def wait_for_condition(self, type_: str):
        async def seen():
            return next((ev.object for ev in self.events if ev.object is not None and
                         type_ in conditions(ev.object)), None)
        return await wait_for(seen, what=f"a watch event with condition {type_}")


@pytest.fixture
async def set_watch(client, ns):
    async with running(SetWatch(client, ns)) as w:
        yield w


async def add_condition(client, sts, type_: str, message: str) -> None:
    """UpdateStatus with one more condition, on the set as last read (read again on a conflict)."""
    for _ in range(20):
        cond = sts.status.conditions.add(type=type_, status="True", reason="E2E", message=message)
        cond.last_transition_time.GetCurrentTime()
        try:
            await client.update_status(sts)
            return
        except ApiError as e:
            if not is_conflict(e):
                raise
        sts = await get_set(client, sts.metadata.namespace, sts.metadata.name)
    raise AssertionError("could not update the status: conflicts")


async def test_status_conditions_from_update_status_and_a_merge_patch_are_watched_and_kept(
        client, ns, controller, kubelet, set_watch):
    """Conformance `should validate Statefulset Status endpoints`: UpdateStatus adds a condition, a merge
    patch of the status adds another, a watch sees both; the controller's own status writes keep them."""
    await client.create(web(1), ns)
    sts = await settled(client, ns, 1)

    await add_condition(client, sts, "StatusUpdate", "Set from an e2e test")
    seen = await set_watch.wait_for_condition("StatusUpdate")
    assert conditions(seen)["StatusUpdate"] == ("True", "E2E")

    # A JSON merge patch replaces a list whole: the patch carries the condition already there.
    await client.patch("StatefulSet", "web", {"status": {"conditions": [
        {"type": "StatusUpdate", "status": "True", "reason": "E2E", "message": "Set from an e2e test"},
        {"type": "StatusPatched", "status": "True", "reason": "E2E", "message": "Patched by an e2e test"},
    ]}}, ns, status=True)
    seen = await set_watch.wait_for_condition("StatusPatched")
    assert set(conditions(seen)) == {"StatusUpdate", "StatusPatched"}

    # The controller writes the status as the set scales: the conditions must outlive those writes.
    writes = len(set_watch.events)
    await update_set(client, ns, lambda s: setattr(s.spec, "replicas", 3))
    sts = await settled(client, ns, 3)
    assert conditions(sts) == {"StatusUpdate": ("True", "E2E"), "StatusPatched": ("True", "E2E")}

    async def watched_ready():  # Get reads storage; the watch delivers the same write a moment later
        later = [ev.object for ev in set_watch.events[writes:]]
        return later if any(o.status.ready_replicas == 3 for o in later) else None
    later = await wait_for(watched_ready, what="the watch to see the controller's status writes")
    assert all(set(conditions(o)) == {"StatusUpdate", "StatusPatched"} for o in later)


def named(name: str, replicas: int, labels: dict[str, str]):
    """WEB under another name, selecting its own pods, with these labels on the set."""
    data = yaml.safe_load(WEB)
    data["metadata"] = {"name": name, "labels": labels}
    data["spec"]["replicas"] = replicas
    data["spec"]["selector"]["matchLabels"]["app"] = name
    data["spec"]["template"]["metadata"]["labels"]["app"] = name
    return from_dict(data)


async def test_list_by_label_and_a_merge_patch_is_reconciled(client, ns, controller, kubelet):
    """Conformance `should list, patch and delete a collection of StatefulSets`: a merge patch of the
    labels, replicas, image and terminationGracePeriodSeconds; listing by label finds the patched set."""
    await client.create(named("web", 1, {"test-ss": "patch"}), ns)
    await client.create(named("db", 1, {"test-ss": "other"}), ns)
    await settled(client, ns, 1, "web")
    await settled(client, ns, 1, "db")

    container = {"name": "nginx", "image": B, "ports": [{"containerPort": 80, "name": "web"}],
                 "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}
    patched = await client.patch("StatefulSet", "web", {
        "metadata": {"labels": {"test-ss": "patched"}},
        "spec": {"replicas": 2, "template": {"spec": {"terminationGracePeriodSeconds": 1,
                                                       "containers": [container]}}},
    }, ns)
    assert patched.metadata.labels["test-ss"] == "patched" and patched.spec.replicas == 2

    found, _ = await client.list("StatefulSet", ns, label_selector="test-ss=patched")
    assert [s.metadata.name for s in found] == ["web"]
    found, _ = await client.list("StatefulSet", ns, label_selector="test-ss in (patch, patched)")
    assert [s.metadata.name for s in found] == ["web"]

    async def rolled():
        pods = await pods_of(client, ns, "web")
        return pods if sorted(pods) == ["web-0", "web-1"] and all(
            p.spec.containers[0].image == B and p.spec.termination_grace_period_seconds == 1 and
            not p.metadata.HasField("deletion_timestamp") for p in pods.values()) else None
    await wait_for(rolled, 30, "web-0 and web-1 at the patched template")

    async def complete():
        sts = await settled(client, ns, 2, "web")
        return sts.status.current_revision == sts.status.update_revision
    await wait_for(complete, what="the patched revision to be current")
    assert sorted(await pods_of(client, ns, "db")) == ["db-0"]


async def test_an_update_with_identical_volume_claim_templates_is_accepted(client, ns, controller, kubelet):
    """TestVolumeTemplateNoopUpdate: the stored object sent back, and the manifest as first written (no
    defaults in its claim template), are accepted; changing the claim template is forbidden."""
    created = await client.create(web(1), ns)
    await settled(client, ns, 1)

    again = await update_set(client, ns, lambda s: None)
    assert again.metadata.generation == created.metadata.generation
    reapplied = await client.update_manifest(yaml.safe_dump({**yaml.safe_load(WEB), "spec": {
        **yaml.safe_load(WEB)["spec"], "replicas": 1}}), ns)
    assert reapplied.metadata.generation == created.metadata.generation
    assert reapplied.spec.volume_claim_templates == created.spec.volume_claim_templates

    def bigger(sts):
        sts.spec.volume_claim_templates[0].spec.resources.requests["storage"] = "2Gi"
    with pytest.raises(ApiError) as e:
        await update_set(client, ns, bigger)
    assert e.value.reason == "Invalid"
    assert e.value.message == FORBIDDEN
    stored = await get_set(client, ns)
    assert stored.spec.volume_claim_templates[0].spec.resources.requests["storage"] == "1Gi"
