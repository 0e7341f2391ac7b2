"""Ordered bring-up, identities and claims, with the real API server and controller; the test plays the
kubelet."""
from __future__ import annotations

from tests.integration.statefulset.conftest import (claims_of, get_set, make_ready, pods_of, set_state, synced,
                                                    wait_for, web)


async def test_ordered_bring_up_one_pod_at_a_time(client, ns, controller):
    await client.create(web(3), ns)
    async def only_web_0():
        pods = await pods_of(client, ns)
        return pods if "web-0" in pods else None
    pods = await wait_for(only_web_0, what="web-0")
    assert set(pods) == {"web-0"}
    assert set(await claims_of(client, ns)) == {"www-web-0"}
    await set_state(client, pods["web-0"], "Pending", ready=False)
    await synced(client, ns)
    assert set(await pods_of(client, ns)) == {"web-0"}, "web-1 was created before web-0 was Running and Ready"
    await set_state(client, pods["web-0"], "Running", ready=False)
    await synced(client, ns)
    assert set(await pods_of(client, ns)) == {"web-0"}
    for name in ("web-0", "web-1", "web-2"):
        await make_ready(client, ns, name)

    async def ready():
        sts = await get_set(client, ns)
        return sts if sts.status.ready_replicas == 3 else None
    sts = await wait_for(ready, what="3 ready replicas")
    pods = await pods_of(client, ns)
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    claims = await claims_of(client, ns)
    assert sorted(claims) == ["www-web-0", "www-web-1", "www-web-2"]
    for i in range(3):
        p = pods[f"web-{i}"]
        assert (p.spec.hostname, p.spec.subdomain) == (f"web-{i}", "nginx")
        assert p.metadata.labels["statefulset.kubernetes.io/pod-name"] == f"web-{i}"
        assert p.metadata.labels["apps.kubernetes.io/pod-index"] == str(i)
        assert p.metadata.labels["controller-revision-hash"] == sts.status.update_revision
        assert p.spec.volumes[0].persistent_volume_claim.claim_name == f"www-web-{i}"
        assert claims[f"www-web-{i}"].metadata.labels["app"] == "nginx"
    s = sts.status
    assert (s.replicas, s.ready_replicas, s.current_replicas, s.updated_replicas, s.available_replicas) == (3,) * 5
    assert s.current_revision == s.update_revision and s.current_revision.startswith("web-")
    assert s.observed_generation == sts.metadata.generation
