"""The seed's master/replica database on a real local cluster: examples/kvstore/kv.yaml (the built-in
`kubelab/kvstore` as a StatefulSet), started with one replica so that the master holds data before the
replicas are cloned, then scaled to the example's 3:

- ordered bring-up: kv-N is created only once kv-(N-1) is Running and Ready;
- kv-1 cloned the master, kv-2 cloned kv-1 (a replica), both with the master's data;
- a write on the master is read on every replica; a replica refuses writes;
- kv-1 deleted comes back with the same name, the same claim and its data, without cloning again;
- names are cluster DNS names: a pod reaches the master as `kv-0.kv`; kv-0 deleted comes back (with the
  address the pod network gives it) and the replicas find it again by name and follow its new writes.
"""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

from tests.e2e.kvstore.conftest import KV_YAML, running_and_ready, wait_for


async def pods(client, ns) -> dict:
    items, _ = await client.list("Pod", ns)
    return {p.metadata.name: p for p in items}


async def running(client, ns, names: list[str], timeout: float = 40) -> dict:
    async def ok():
        got = await pods(client, ns)
        return got if sorted(got) == sorted(names) and all(running_and_ready(p) for p in got.values()) else None
    return await wait_for(ok, timeout, f"pods {names} Running and Ready")


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            raw = resp.read().decode()
            return json.loads(raw) if resp.headers.get("Content-Type", "").startswith("application/json") else raw
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


async def http(pod, path: str):
    return await asyncio.to_thread(_get, f"http://{pod.status.pod_ip}:6380{path}")


async def test_master_replicas_clone_in_order_follow_the_master_and_keep_their_data(cluster, client, ns, history,
                                                                                     tmp_path):
    one = tmp_path / "kv-1-replica.yaml"
    text = KV_YAML.read_text()
    assert "  replicas: 3\n" in text
    one.write_text(text.replace("  replicas: 3\n", "  replicas: 1\n"))
    out = await cluster.kubelab("apply", "-n", ns, "-f", str(one))
    assert out == "service/kv created\nstatefulset.apps/kv created\n"
    await running(client, ns, ["kv-0"])

    # the master takes writes before any replica exists
    for key, value in (("greeting", "hello"), ("course", "kubelab")):
        out = await cluster.kubelab("exec", "-n", ns, "kv-0", "--", "kvstore", "put", key, value)
        assert out.startswith("OK seq=")

    await cluster.kubelab("scale", "-n", ns, "statefulset", "kv", "--replicas", "3")
    got = await running(client, ns, ["kv-0", "kv-1", "kv-2"])
    assert history.created() == ["kv-0", "kv-1", "kv-2"] and history.violations == []

    # the clone chain: kv-1 from the master kv-0, kv-2 from the replica kv-1, each with the master's 2 writes
    status = {n: await http(p, "/status") for n, p in got.items()}
    assert status["kv-0"]["role"] == "master" and status["kv-0"]["clonedFrom"] is None
    for name, source, role in (("kv-1", "kv-0", "master"), ("kv-2", "kv-1", "replica")):
        origin = status[name]["clonedFrom"]
        assert (origin["from"], origin["source"], origin["role"], origin["seq"], origin["keys"]) == \
            (f"{source}.kv:6380", source, role, 2, 2), status[name]
        assert status[name]["role"] == "replica" and status[name]["master"] == "kv-0.kv:6380"
    clone_log = await cluster.kubelab("logs", "-n", ns, "kv-2", "-c", "clone-kvstore")
    assert "copied 2 keys at seq 2 from kv-1 (replica) at kv-1.kv:6380" in clone_log
    assert "sent a snapshot at seq 2 (2 keys)" in await cluster.kubelab("logs", "-n", ns, "kv-1")

    # a write on the master is read on every replica; replicas refuse writes
    await cluster.kubelab("exec", "-n", ns, "kv-0", "--", "kvstore", "put", "greeting", "bonjour")

    async def replicated(key: str, value: str, names=("kv-0", "kv-1", "kv-2"), timeout: float = 15):
        current = await pods(client, ns)

        async def everywhere():
            return all([await http(current[n], f"/keys/{key}") == value for n in names])
        await wait_for(everywhere, timeout, f"{key}={value} on {names}")

    await replicated("greeting", "bonjour")
    refused = await asyncio.to_thread(cluster.run, "exec", "-n", ns, "kv-2", "--", "kvstore", "put", "x", "y",
                                      check=False)
    assert refused.returncode == 1 and "kv-2 is a read-only replica; write to the master kv-0.kv:6380" in refused.stderr

    # kv-1 deleted: back with the same name and claim, its data from its own volume (no new clone)
    claim = await client.get("PersistentVolumeClaim", "data-kv-1", ns)
    old_uid = got["kv-1"].metadata.uid
    assert await cluster.kubelab("delete", "-n", ns, "pod", "kv-1") == 'pod "kv-1" deleted\n'

    async def back():
        current = await pods(client, ns)
        p = current.get("kv-1")
        return p if p is not None and p.metadata.uid != old_uid and running_and_ready(p) else None
    new = await wait_for(back, 40, "kv-1 recreated, Running and Ready")
    assert (await client.get("PersistentVolumeClaim", "data-kv-1", ns)).metadata.uid == claim.metadata.uid
    assert await http(new, "/keys/greeting") == "bonjour" and await http(new, "/keys/course") == "kubelab"
    assert "data already in /var/lib/kvstore" in await cluster.kubelab("logs", "-n", ns, "kv-1", "-c", "clone-kvstore")
    # and it follows the master again
    await cluster.kubelab("exec", "-n", ns, "kv-0", "--", "kvstore", "put", "after", "delete")
    await replicated("after", "delete")

    # the master by its DNS name from another pod; then the master deleted and back, found again by name
    out = await cluster.kubelab("exec", "-n", ns, "kv-2", "--", "kvstore", "get", "-s", "kv-0.kv:6380", "course")
    assert out == "kubelab\n"
    old_master = (await pods(client, ns))["kv-0"].metadata.uid
    assert await cluster.kubelab("delete", "-n", ns, "pod", "kv-0") == 'pod "kv-0" deleted\n'

    async def master_back():
        p = (await pods(client, ns)).get("kv-0")
        return p if p is not None and p.metadata.uid != old_master and running_and_ready(p) else None
    await wait_for(master_back, 60, "kv-0 recreated, Running and Ready")
    await cluster.kubelab("exec", "-n", ns, "kv-0", "--", "kvstore", "put", "master", "back")
    await replicated("master", "back", timeout=40)  # a poll that hung on the old address times out first
