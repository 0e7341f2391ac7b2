"""kubelab cordon, uncordon and drain against a real API server, with the scheduler placing pods."""
import asyncio
import sys

from tests.integration.scheduler.conftest import create_node, new_pod, wait_bound, wait_condition
from tests.support import ROOT


async def kubelab(cluster, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelab.cli", "--server", cluster.apiserver.address, *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def owned(name: str, kind: str = "ReplicaSet", **kw):
    p = new_pod(name, **kw)
    p.metadata.owner_references.add(api_version="apps/v1", kind=kind, name="web-123", uid="rs-uid", controller=True)
    return p


async def test_cordon_and_uncordon(cluster, client):
    await create_node(client, "node-1")
    await create_node(client, "node-2")
    cluster.scheduler()
    assert await kubelab(cluster, "cordon", "node-1") == (0, "node/node-1 cordoned\n", "")
    assert await kubelab(cluster, "cordon", "node-1") == (0, "node/node-1 already cordoned\n", "")
    for i in range(4):
        await client.create(new_pod(f"p{i}"))
    assert {await wait_bound(client, f"p{i}") for i in range(4)} == {"node-2"}
    assert await kubelab(cluster, "uncordon", "node-1") == (0, "node/node-1 uncordoned\n", "")
    assert (await client.get("Node", "node-1")).spec.unschedulable is False
    code, out, err = await kubelab(cluster, "cordon", "node-9")
    assert (code, err) == (1, 'Error from server (NotFound): nodes "node-9" not found\n')


async def test_cordoned_everywhere_then_uncordon_requeues(cluster, client):
    await create_node(client, "node-1")
    cluster.scheduler()
    await kubelab(cluster, "cordon", "node-1")
    await client.create(new_pod("waiting"))
    cond = await wait_condition(client, "waiting")
    assert cond.message == ("0/1 nodes are available: 1 node(s) were unschedulable. "
                            "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
    await kubelab(cluster, "uncordon", "node-1")
    assert await wait_bound(client, "waiting") == "node-1"


async def test_drain_evicts_managed_pods_and_refuses_unmanaged_ones(cluster, client):
    await create_node(client, "node-1")
    cluster.scheduler()
    await client.create(owned("web-1"))
    await client.create(owned("agent", kind="DaemonSet"))
    await client.create(new_pod("lonely"))
    for name in ("web-1", "agent", "lonely"):
        await wait_bound(client, name)
    code, out, err = await kubelab(cluster, "drain", "node-1", "--grace-period", "0")
    assert code == 1 and out == "node/node-1 cordoned\n"
    fatal = ("[cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent, "
             "cannot delete Pods declare no controller (use --force to override): default/lonely]")
    assert err == (f'error: unable to drain node "node-1" due to error: {fatal}, continuing command...\n'
                   "There are pending nodes to be drained:\n node-1\n"
                   f"error: {fatal}\n")
    code, out, err = await kubelab(cluster, "drain", "node-1", "--ignore-daemonsets", "--force", "--grace-period", "0",
                                   "--delete-emptydir-data")
    assert code == 0, err
    assert err == ("Warning: deleting Pods that declare no controller: default/lonely; "
                   "ignoring DaemonSet-managed Pods: default/agent\n")
    lines = out.splitlines()
    assert lines[0] == "node/node-1 already cordoned" and lines[-1] == "node/node-1 drained"
    assert sorted(lines[1:-1]) == sorted(["evicting pod default/web-1", "pod/web-1 evicted",
                                          "evicting pod default/lonely", "pod/lonely evicted"])
    pods, _ = await client.list("Pod", "default")
    assert [p.metadata.name for p in pods] == ["agent"]
