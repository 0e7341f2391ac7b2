"""The seed's questions, answered by running it (examples/seed/README.md walks through the same steps):

1. a deleted pod's replacement mounts the same PersistentVolume (the claim is the Deployment's, not the pod's);
2. with 3 replicas all pods use that one volume: on a network disk (ReadWriteOnce, attachable to one node)
   the pods on the first pod's node run and share the file, the others wait in ContainerCreating with the
   Multi-Attach error; on a node-local volume every replica is pinned to its node; with ReadWriteOncePod
   one pod runs and the others are Unschedulable;
3. a rolling update to another node deadlocks on the Multi-Attach error; strategy Recreate gets through.
"""
from __future__ import annotations

from tests.e2e.seed.conftest import (SEED, events_of, lines, pods, running, volume_of, wait_for,
                                     waiting_reason)

DEPLOY = str(SEED / "deploy-random-number-generator.yaml")
NETWORK_DISK = ("-f", str(SEED / "sc-definition.yaml"), "-f", str(SEED / "pvc-definition.yaml"), "-f", DEPLOY)


async def one_running(client, ns):
    async def up():
        ps = await pods(client, ns)
        return ps[0] if len(ps) == 1 and running(ps[0]) else None
    return await wait_for(up, 90, "one running pod")


async def grows(path, than: int, what: str) -> int:
    async def more():
        n = lines(path)
        return n if n > than else None
    return await wait_for(more, 60, what)


async def test_a_replacement_pod_mounts_the_same_volume(cluster, client, ns):
    await cluster.kubelab("apply", *NETWORK_DISK, "-n", ns)
    first = await one_running(client, ns)
    pv = await volume_of(client, ns)
    number_txt = cluster.disk(pv) / "number.txt"
    before = await grows(number_txt, 1, "number.txt to grow on the disk")
    await cluster.kubelab("delete", "pod", first.metadata.name, "-n", ns)

    async def replaced():
        ps = await pods(client, ns)
        return ps[0] if len(ps) == 1 and ps[0].metadata.name != first.metadata.name and running(ps[0]) else None
    second = await wait_for(replaced, 90, "the replacement pod")
    assert await volume_of(client, ns) == pv  # the same claim, so the same volume
    after = await grows(number_txt, before, "the replacement to append to the same file")
    shown = (await cluster.kubelab("exec", second.metadata.name, "-n", ns, "--", "cat", "/opt/number.txt")).stdout
    assert len(shown.splitlines()) >= after and shown.splitlines()[:before] == \
        number_txt.read_text().splitlines()[:before]


async def test_replicas_share_one_network_disk_on_one_node_only(cluster, client, ns):
    await cluster.kubelab("apply", *NETWORK_DISK, "-n", ns)
    first = await one_running(client, ns)
    pv, node = await volume_of(client, ns), first.spec.node_name
    for replicas in (3, 6):
        await cluster.kubelab("scale", "deployment/random-number-generator", "--replicas", str(replicas), "-n", ns)

        async def placed(n=replicas):
            ps = await pods(client, ns)
            if len(ps) != n or not all(p.spec.node_name for p in ps):
                return None
            here = [p for p in ps if p.spec.node_name == node]
            there = [p for p in ps if p.spec.node_name != node]
            if all(running(p) for p in here) and all(waiting_reason(p) == "ContainerCreating" for p in there):
                return here, there
            return None
        here, there = await wait_for(placed, 90, f"{replicas} pods: running on {node}, waiting elsewhere")
        assert there, "the scheduler placed every pod on one node: nothing to show"
        # The attach/detach controller reports once per volume and node: one pod per other node has it.
        for other in {p.spec.node_name for p in there}:
            async def multi_attach(other=other):
                for pod in (p for p in there if p.spec.node_name == other):
                    events = await events_of(client, ns, pod.metadata.name)
                    if any(e.startswith(f'FailedAttachVolume: Multi-Attach error for volume "{pv}" Volume is '
                                        "already used by pod(s) ") for e in events):
                        return True
                return False
            await wait_for(multi_attach, 60, f"the Multi-Attach error on {other}")
    assert len(here) >= 2, f"6 pods over 3 nodes left {node} with {len(here)}"
    files = [(await cluster.kubelab("exec", p.metadata.name, "-n", ns, "--", "cat", "/opt/number.txt")).stdout
             for p in here]
    shortest = min(len(f.splitlines()) for f in files)
    assert all(f.splitlines()[:shortest] == files[0].splitlines()[:shortest] for f in files)  # one file


async def test_local_path_pins_every_replica_to_the_volumes_node(cluster, client, ns):
    await cluster.kubelab("apply", "-f", str(SEED / "local-path"), "-f", DEPLOY, "-n", ns)
    await one_running(client, ns)
    pv = await client.get("PersistentVolume", await volume_of(client, ns))
    (term,) = pv.spec.node_affinity.required.node_selector_terms
    (node,) = term.match_expressions[0].values
    await cluster.kubelab("scale", "deployment/random-number-generator", "--replicas", "3", "-n", ns)

    async def all_running():
        ps = await pods(client, ns)
        return ps if len(ps) == 3 and all(running(p) for p in ps) else None
    ps = await wait_for(all_running, 90, "3 running replicas")
    assert {p.spec.node_name for p in ps} == {node}


async def test_read_write_once_pod_lets_one_pod_run(cluster, client, ns):
    await cluster.kubelab("apply", "-f", str(SEED / "sc-definition.yaml"), "-f", str(SEED / "readwriteoncepod"),
                          "-f", DEPLOY, "-n", ns)
    await one_running(client, ns)
    await cluster.kubelab("scale", "deployment/random-number-generator", "--replicas", "3", "-n", ns)

    async def unschedulable():
        ps = await pods(client, ns)
        pending = [p for p in ps if not p.spec.node_name]
        if len(ps) != 3 or len(pending) != 2:
            return None
        messages = [await events_of(client, ns, p.metadata.name) for p in pending]
        rwop = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
        return all(any(e.startswith("FailedScheduling: 0/3 nodes are available: 3 " + rwop) for e in m)
                   for m in messages)
    await wait_for(unschedulable, 90, "two pods Unschedulable")
    assert sum(running(p) for p in await pods(client, ns)) == 1


async def test_rolling_update_to_another_node_waits_and_recreate_gets_through(cluster, client, ns):
    await cluster.kubelab("apply", *NETWORK_DISK, "-n", ns)
    old = await one_running(client, ns)
    pv = await volume_of(client, ns)
    await cluster.kubelab("cordon", old.spec.node_name)  # the new pod must go elsewhere
    try:
        await cluster.kubelab("apply", "-f", str(SEED / "rolling-update"), "-n", ns)

        async def stuck():
            ps = await pods(client, ns)
            new = [p for p in ps if p.metadata.name != old.metadata.name]
            if len(ps) != 2 or len(new) != 1 or waiting_reason(new[0]) != "ContainerCreating":
                return None
            events = await events_of(client, ns, new[0].metadata.name)
            return any(e.startswith(f'FailedAttachVolume: Multi-Attach error for volume "{pv}"') for e in events)
        await wait_for(stuck, 90, "the new pod to wait on the Multi-Attach error")
        status = await cluster.kubelab("rollout", "status", "deployment/random-number-generator", "-n", ns,
                                       "--timeout", "3s", check=False)
        assert status.returncode == 1 and status.stderr == "error: timed out waiting for the condition\n"
        assert status.stdout.splitlines()[-1] == ('Waiting for deployment "random-number-generator" rollout to '
                                                  "finish: 1 old replicas are pending termination...")
        assert running(await client.get("Pod", old.metadata.name, ns))  # maxUnavailable 0: the old pod stays

        await cluster.kubelab("apply", "-f", str(SEED / "recreate"), "-n", ns)
        done = await cluster.kubelab("rollout", "status", "deployment/random-number-generator", "-n", ns,
                                     "--timeout", "90s")
        assert done.stdout.splitlines()[-1] == 'deployment "random-number-generator" successfully rolled out'
        (new,) = await pods(client, ns)
        assert new.spec.node_name != old.spec.node_name and running(new)
        assert "sleep 3" in new.spec.containers[0].args[0]
        await grows(cluster.disk(pv) / "number.txt", lines(cluster.disk(pv) / "number.txt"),
                    "the new pod to append on its node")
    finally:
        await cluster.kubelab("uncordon", old.spec.node_name)
