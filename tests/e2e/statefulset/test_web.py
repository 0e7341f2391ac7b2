"""The seed's second half on a real local cluster: the Kubernetes docs' StatefulSet Basics `web.yaml`
runs unchanged on the default class (`standard`, local-path, WaitForFirstConsumer).

- web-0 is Running and Ready before web-1 is created;
- each pod has its own claim and its own volume, on its node;
- text written into web-0's volume is still served after web-0 is deleted and recreated;
- scaling to 5 and back to 2 creates and removes pods in order and keeps the claims;
- basic identity: after scaling to 0 and back, each pod has its name, hostname, claim and data again.
"""
from __future__ import annotations

import asyncio

from tests.e2e.statefulset.conftest import WEB_YAML, http_get, wait_for


async def served(pod) -> str:
    """What nginx in `pod` serves at / (polled: Ready without a readiness probe comes before it listens)."""
    async def get():
        try:
            return [await asyncio.to_thread(http_get, f"http://{pod.status.pod_ip}/")]
        except OSError:
            return None
    return (await wait_for(get, 30, f"{pod.metadata.name} to answer HTTP"))[0]


async def pods(client, ns) -> dict:
    items, _ = await client.list("Pod", ns)
    return {p.metadata.name: p for p in items}


async def claims(client, ns) -> dict:
    items, _ = await client.list("PersistentVolumeClaim", ns)
    return {c.metadata.name: c for c in items}


async def running(client, ns, names: list[str], timeout: float = 90):
    async def ok():
        got = await pods(client, ns)
        return got if sorted(got) == sorted(names) and all(
            p.status.phase == "Running" and not p.metadata.HasField("deletion_timestamp") and
            any(c.type == "Ready" and c.status == "True" for c in p.status.conditions) for p in got.values()) \
            else None
    return await wait_for(ok, timeout, f"pods {names} Running and Ready")


async def test_web_yaml_brings_pods_up_in_order_each_with_its_own_claim_and_volume(cluster, client, ns, history):
    out = await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    assert out == "service/nginx created\nstatefulset.apps/web created\n"
    got = await running(client, ns, ["web-0", "web-1"])
    assert history.created() == ["web-0", "web-1"] and history.violations == []

    bound = await claims(client, ns)
    assert sorted(bound) == ["www-web-0", "www-web-1"]
    volumes = {n: c.spec.volume_name for n, c in bound.items()}
    assert all(v for v in volumes.values()) and len(set(volumes.values())) == 2, volumes
    for name, pod in got.items():
        claim = bound[f"www-{name}"]
        assert claim.status.phase == "Bound" and claim.spec.storage_class_name == "standard"
        pv = await client.get("PersistentVolume", claim.spec.volume_name)
        assert (pv.spec.claim_ref.namespace, pv.spec.claim_ref.name) == (ns, f"www-{name}")
        local = cluster.node_dir(pod.spec.node_name) / pv.spec.host_path.path.lstrip("/")
        assert local.is_dir(), f"{name}'s volume is not on its node {pod.spec.node_name}"
        assert (pod.spec.hostname, pod.spec.subdomain) == (name, "nginx")

    status = await cluster.kubelab("rollout", "status", "-n", ns, "statefulset/web", "--timeout", "60s")
    assert status.endswith("partitioned roll out complete: 2 new pods have been updated...\n")


async def test_data_written_to_web_0_survives_its_deletion(cluster, client, ns, history):
    await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    await running(client, ns, ["web-0", "web-1"])
    claim_uid = (await claims(client, ns))["www-web-0"].metadata.uid
    for i in (0, 1):
        await cluster.kubelab("exec", "-n", ns, f"web-{i}", "--", "sh", "-c",
                              'echo "$(hostname)" > /usr/share/nginx/html/index.html')
    before = await pods(client, ns)
    for i in (0, 1):
        assert await served(before[f"web-{i}"]) == f"web-{i}\n"

    assert await cluster.kubelab("delete", "-n", ns, "pod", "web-0") == 'pod "web-0" deleted\n'
    after = await running(client, ns, ["web-0", "web-1"])
    assert after["web-0"].metadata.uid != before["web-0"].metadata.uid
    assert after["web-0"].spec.node_name == before["web-0"].spec.node_name  # its volume lives there
    assert await served(after["web-0"]) == "web-0\n", "web-0 came back without the data it wrote"
    assert (await claims(client, ns))["www-web-0"].metadata.uid == claim_uid


async def test_scale_to_5_and_back_to_2_in_order_keeping_the_claims(cluster, client, ns, history):
    await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    await running(client, ns, ["web-0", "web-1"])
    first = {n: c.metadata.uid for n, c in (await claims(client, ns)).items()}

    assert await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=5") == "statefulset.apps/web scaled\n"
    await running(client, ns, [f"web-{i}" for i in range(5)], timeout=120)
    assert history.created() == [f"web-{i}" for i in range(5)] and history.violations == []
    five = await claims(client, ns)
    assert sorted(five) == [f"www-web-{i}" for i in range(5)]
    assert all(five[n].metadata.uid == uid for n, uid in first.items())

    assert await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=2") == "statefulset.apps/web scaled\n"
    await running(client, ns, ["web-0", "web-1"])
    assert history.deleted() == ["web-4", "web-3", "web-2"]
    kept = await claims(client, ns)
    assert {n: c.metadata.uid for n, c in kept.items()} == {n: c.metadata.uid for n, c in five.items()}
    assert all(c.status.phase == "Bound" for c in kept.values())

    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=3")
    again = await running(client, ns, ["web-0", "web-1", "web-2"])
    assert again["web-2"].spec.volumes[0].persistent_volume_claim.claim_name == "www-web-2"
    assert (await claims(client, ns))["www-web-2"].metadata.uid == five["www-web-2"].metadata.uid


async def test_scale_to_0_and_back_keeps_each_pods_identity_and_data(cluster, client, ns, history):
    """should provide basic identity: each pod writes its hostname into its volume; the set is restarted
    (scaled to 0, then back up); the pods come back with the same names, claims and data."""
    await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    before = await running(client, ns, ["web-0", "web-1"])
    for name in before:
        hostname = await cluster.kubelab("exec", "-n", ns, name, "--", "hostname")
        assert hostname == f"{name}\n"
        await cluster.kubelab("exec", "-n", ns, name, "--", "sh", "-c",
                              'echo "$(hostname)" > /usr/share/nginx/html/index.html')
    first = {n: (c.metadata.uid, c.spec.volume_name) for n, c in (await claims(client, ns)).items()}

    assert await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=0") == "statefulset.apps/web scaled\n"

    async def no_pods():
        return not await pods(client, ns)
    await wait_for(no_pods, 90, "every pod gone")
    assert history.deleted() == ["web-1", "web-0"]
    assert {n: (c.metadata.uid, c.spec.volume_name) for n, c in (await claims(client, ns)).items()} == first

    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=2")
    after = await running(client, ns, ["web-0", "web-1"])
    assert history.created() == ["web-0", "web-1", "web-0", "web-1"] and history.violations == []
    for name, pod in after.items():
        assert pod.metadata.uid != before[name].metadata.uid
        assert (pod.spec.hostname, pod.spec.subdomain) == (name, "nginx")
        assert pod.spec.volumes[0].persistent_volume_claim.claim_name == f"www-{name}"
        assert await cluster.kubelab("exec", "-n", ns, name, "--", "hostname") == f"{name}\n"
        assert await cluster.kubelab("exec", "-n", ns, name, "--", "cat", "/usr/share/nginx/html/index.html") \
            == f"{name}\n", f"{name} came back without the data it wrote"
        assert await served(pod) == f"{name}\n"
    assert {n: (c.metadata.uid, c.spec.volume_name) for n, c in (await claims(client, ns)).items()} == first


async def test_controller_killed_while_scaling_up_finishes_in_order(cluster, client, ns, history):
    """`kubelab kill statefulset` in the middle of a scale-up, then `kubelab start statefulset`."""
    await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    await running(client, ns, ["web-0", "web-1"])
    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=4")

    async def web_2_created():
        return "web-2" in history.created()
    await wait_for(web_2_created, 60, "web-2 to be created")
    await cluster.kubelab("kill", "statefulset")

    async def web_2_ready():  # the kubelet carries on while the controller is dead
        return history.ready("web-2")
    await wait_for(web_2_ready, 60, "web-2 Running and Ready")
    await cluster.kubelab("start", "statefulset")
    await running(client, ns, [f"web-{i}" for i in range(4)], timeout=120)
    assert history.created() == [f"web-{i}" for i in range(4)] and history.violations == []
    assert sorted(await claims(client, ns)) == [f"www-web-{i}" for i in range(4)]
