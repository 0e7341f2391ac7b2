"""Scaling, replacement and claims against the real API server and controller (the Kubelet fixture
reports every new pod Running and Ready)."""
from __future__ import annotations

from tests.integration.statefulset.conftest import (claims_of, get_set, pods_of, set_state, synced, update_set,
                                                    wait_for, web)


async def wait_pods(client, ns, names, what=""):
    async def ok():
        pods = await pods_of(client, ns)
        return [pods] if sorted(pods) == sorted(names) and all(
            not p.metadata.HasField("deletion_timestamp") for p in pods.values()) else None
    return (await wait_for(ok, 30, what or f"pods {names}"))[0]


async def wait_ready(client, ns, n):
    async def ok():
        sts = await get_set(client, ns)
        return sts if sts.status.ready_replicas == n and sts.status.replicas == n else None
    return await wait_for(ok, 30, f"{n} ready replicas")


async def scale(client, ns, n):
    def change(sts):
        sts.spec.replicas = n
    await update_set(client, ns, change)


async def test_scale_up_in_order_and_down_in_reverse_keeping_claims(client, ns, controller, kubelet):
    await client.create(web(2), ns)
    await wait_ready(client, ns, 2)
    claims = {n: c.metadata.uid for n, c in (await claims_of(client, ns)).items()}
    await scale(client, ns, 5)
    await wait_ready(client, ns, 5)
    assert kubelet.created == ["web-0", "web-1", "web-2", "web-3", "web-4"]
    await scale(client, ns, 2)
    await wait_pods(client, ns, ["web-0", "web-1"])
    await wait_ready(client, ns, 2)
    assert kubelet.deleted == ["web-4", "web-3", "web-2"]
    after = await claims_of(client, ns)
    assert sorted(after) == [f"www-web-{i}" for i in range(5)], "scale-down keeps the claims (Retain)"
    assert all(after[n].metadata.uid == uid for n, uid in claims.items())
    await scale(client, ns, 3)
    await wait_ready(client, ns, 3)
    pods = await pods_of(client, ns)
    assert pods["web-2"].spec.volumes[0].persistent_volume_claim.claim_name == "www-web-2"
    assert (await claims_of(client, ns))["www-web-2"].metadata.uid == after["www-web-2"].metadata.uid


async def test_scale_to_zero_and_back_restores_the_same_pods_and_claims(client, ns, controller, kubelet, binder):
    """Basic identity: after scaling to 0 and back up, every pod has its name, hostname and claim again,
    and each claim is still bound to the same volume (the data check is in the e2e suite)."""
    await client.create(web(3), ns)
    await wait_ready(client, ns, 3)

    async def bound():
        claims = await claims_of(client, ns)
        return claims if len(claims) == 3 and all(c.spec.volume_name for c in claims.values()) else None
    claims = await wait_for(bound, what="3 bound claims")
    await scale(client, ns, 0)
    await wait_pods(client, ns, [])
    await wait_ready(client, ns, 0)
    assert kubelet.deleted == ["web-2", "web-1", "web-0"]
    assert {n: c.metadata.uid for n, c in (await claims_of(client, ns)).items()} == \
        {n: c.metadata.uid for n, c in claims.items()}, "scaling to 0 keeps the claims (Retain)"

    await scale(client, ns, 3)
    await wait_ready(client, ns, 3)
    pods = await pods_of(client, ns)
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    for name, pod in pods.items():
        assert (pod.spec.hostname, pod.spec.subdomain) == (name, "nginx")
        assert pod.spec.volumes[0].persistent_volume_claim.claim_name == f"www-{name}"
    after = await claims_of(client, ns)
    assert {n: (c.metadata.uid, c.spec.volume_name) for n, c in after.items()} == \
        {n: (c.metadata.uid, c.spec.volume_name) for n, c in claims.items()}
    assert binder.created == ["www-web-0", "www-web-1", "www-web-2"], "no claim was created again"


async def test_deleted_pod_comes_back_with_the_same_name_and_claims(client, ns, controller, kubelet):
    await client.create(web(3), ns)
    await wait_ready(client, ns, 3)
    before = await pods_of(client, ns)
    claims = await claims_of(client, ns)
    await client.delete("Pod", "web-1", ns)

    async def replaced():
        p = (await pods_of(client, ns)).get("web-1")
        return p if p is not None and p.metadata.uid != before["web-1"].metadata.uid else None
    new = await wait_for(replaced, what="web-1 to be recreated")
    assert (new.spec.hostname, new.spec.subdomain) == ("web-1", "nginx")
    assert new.spec.volumes[0].persistent_volume_claim.claim_name == "www-web-1"
    assert {n: c.metadata.uid for n, c in (await claims_of(client, ns)).items()} == \
        {n: c.metadata.uid for n, c in claims.items()}


async def test_terminating_pod_is_not_replaced_until_gone(client, ns, controller, kubelet):
    """TestDeletingAndTerminatingPods."""
    await client.create(web(2), ns)
    await wait_ready(client, ns, 2)
    pod = (await pods_of(client, ns))["web-1"]
    pod.metadata.finalizers.append("kubelab.io/test-hold")
    pod = await client.update(pod)
    _, gone = await client.delete("Pod", "web-1", ns)
    assert not gone
    await synced(client, ns)
    still = (await pods_of(client, ns))["web-1"]
    assert still.metadata.uid == pod.metadata.uid and still.metadata.HasField("deletion_timestamp")
    del still.metadata.finalizers[:]
    await client.update(still)

    async def replaced():
        p = (await pods_of(client, ns)).get("web-1")
        return p if p is not None and p.metadata.uid != pod.metadata.uid else None
    await wait_for(replaced, what="web-1 to be replaced once gone")


async def test_failed_and_succeeded_pods_are_replaced(client, ns, controller, kubelet):
    await client.create(web(2), ns)
    await wait_ready(client, ns, 2)
    for name, phase in (("web-0", "Failed"), ("web-1", "Succeeded")):
        pod = (await pods_of(client, ns))[name]
        await set_state(client, pod, phase, ready=False)

        async def replaced():
            p = (await pods_of(client, ns)).get(name)
            return p if p is not None and p.metadata.uid != pod.metadata.uid else None
        await wait_for(replaced, what=f"{phase} {name} to be replaced")
    await wait_ready(client, ns, 2)


async def test_scaling_halts_while_a_pod_is_unhealthy(client, ns, controller, kubelet):
    """Conformance: scaling 1 -> 3 stays at 1 pod while web-0 is not Ready; 3 -> 0 halts likewise."""
    kubelet.hold.add("web-0")
    await client.create(web(3), ns)
    await wait_pods(client, ns, ["web-0"])
    await synced(client, ns)
    assert sorted(await pods_of(client, ns)) == ["web-0"]
    kubelet.hold.clear()
    await set_state(client, (await pods_of(client, ns))["web-0"])
    await wait_ready(client, ns, 3)
    for pod in (await pods_of(client, ns)).values():
        await set_state(client, pod, "Running", ready=False)

    async def seen_unready():  # the controller's pod cache has them unready (its status says so) ...
        sts = await get_set(client, ns)
        return sts if sts.status.replicas == 3 and sts.status.ready_replicas == 0 else None
    await wait_for(seen_unready, 30, "the controller to count 0 ready")
    await scale(client, ns, 0)  # ... before the scale-down comes, which may otherwise see them Ready still
    await synced(client, ns)
    assert sorted(await pods_of(client, ns)) == ["web-0", "web-1", "web-2"]


async def test_burst_scaling_runs_to_completion_with_unhealthy_pods(client, ns, controller, kubelet):
    """Conformance: Parallel scales up to 3 and down to 0 although no pod is ever Ready."""
    kubelet.hold.update({"web-0", "web-1", "web-2"})
    await client.create(web(3, podManagementPolicy="Parallel"), ns)
    await wait_pods(client, ns, ["web-0", "web-1", "web-2"])
    await scale(client, ns, 0)
    await wait_pods(client, ns, [])


async def test_pending_pod_gets_its_deleted_claim_back(client, ns, controller, kubelet):
    """PVC should be recreated when pod is pending due to missing PVC."""
    kubelet.hold.add("web-0")
    await client.create(web(1), ns)
    await wait_pods(client, ns, ["web-0"])
    old = (await claims_of(client, ns))["www-web-0"]
    await client.delete("PersistentVolumeClaim", "www-web-0", ns)

    async def recreated():
        c = (await claims_of(client, ns)).get("www-web-0")
        return c if c is not None and c.metadata.uid != old.metadata.uid else None
    await wait_for(recreated, what="www-web-0 to be recreated for the pending pod")


async def test_spec_replicas_change_and_generation(client, ns, controller, kubelet):
    """TestSpecReplicasChange: status.replicas follows 3, 0, 2; a template annotation change bumps the
    generation and observedGeneration catches up."""
    await client.create(web(3), ns)
    for n in (3, 0, 2):
        await scale(client, ns, n)
        await wait_ready(client, ns, n)

    def annotate(sts):
        sts.spec.template.metadata.annotations["test"] = "yes"
    updated = await update_set(client, ns, annotate)

    async def observed():
        sts = await get_set(client, ns)
        return sts.status.observed_generation == updated.metadata.generation
    await wait_for(observed, what="observedGeneration to catch up")
