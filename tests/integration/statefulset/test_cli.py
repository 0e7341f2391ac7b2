"""`kubelab rollout status|history|undo` and `kubelab scale` on a StatefulSet, as a user types them,
against the real API server and controller (the test plays the kubelet)."""
from __future__ import annotations

import asyncio
import os
import sys

from tests.integration.statefulset.conftest import get_set, pods_of, update_set, wait_for, web
from tests.support import ROOT

A, B = "registry.k8s.io/nginx-slim:0.24", "registry.k8s.io/nginx-slim:0.27"


async def kubelab(apiserver, ns, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelab.cli", *args, "-n", ns, "--server", apiserver.address, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def images(client, ns) -> dict[str, str]:
    return {n: p.spec.containers[0].image for n, p in (await pods_of(client, ns)).items()
            if not p.metadata.HasField("deletion_timestamp")}


async def test_rollout_status_history_undo_and_scale(apiserver, client, ns, controller, kubelet):
    await client.create(web(3), ns)
    code, out, err = await kubelab(apiserver, ns, "rollout", "status", "statefulset/web")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "partitioned roll out complete: 3 new pods have been updated..."
    assert all(line.startswith(("Waiting for", "partitioned")) for line in lines)

    def new_image(sts):
        sts.spec.template.spec.containers[0].image = B
    await update_set(client, ns, new_image)
    code, out, err = await kubelab(apiserver, ns, "rollout", "status", "sts", "web")
    assert code == 0 and out.endswith("partitioned roll out complete: 3 new pods have been updated...\n"), (out, err)
    await wait_for(lambda: _all(client, ns, B), what="all pods at B")

    code, out, _ = await kubelab(apiserver, ns, "rollout", "history", "statefulset/web")
    assert out == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    code, out, _ = await kubelab(apiserver, ns, "rollout", "history", "statefulset/web", "--revision", "1")
    assert out.startswith("statefulset.apps/web with revision #1\nPod Template:\n") and A in out

    code, out, err = await kubelab(apiserver, ns, "rollout", "undo", "statefulset/web")
    assert (code, out) == (0, "statefulset.apps/web rolled back\n"), err
    await wait_for(lambda: _all(client, ns, A), 60, "all pods back at A")
    code, out, _ = await kubelab(apiserver, ns, "rollout", "history", "statefulset/web")
    assert out == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"
    code, out, _ = await kubelab(apiserver, ns, "rollout", "undo", "statefulset/web", "--to-revision", "3")
    assert out == "statefulset.apps/web skipped rollback (current template already matches revision 3)\n"
    code, _, err = await kubelab(apiserver, ns, "rollout", "undo", "statefulset/web", "--to-revision", "9")
    assert code == 1 and err == "error: unable to find specified revision 9 in history\n"

    code, out, err = await kubelab(apiserver, ns, "scale", "statefulset", "web", "--replicas", "1")
    assert (code, out) == (0, "statefulset.apps/web scaled\n"), err

    async def one():
        return sorted(await pods_of(client, ns)) == ["web-0"]
    await wait_for(one, 30, "scaled to web-0 alone")
    assert kubelet.deleted[-2:] == ["web-2", "web-1"]


async def _all(client, ns, image) -> bool:
    got = await images(client, ns)
    sts = await get_set(client, ns)
    return len(got) == 3 and set(got.values()) == {image} and sts.status.ready_replicas == 3


async def test_rollout_status_refuses_on_delete_and_other_kinds(apiserver, client, ns, controller):
    await client.create(web(1, updateStrategy={"type": "OnDelete"}), ns)
    code, _, err = await kubelab(apiserver, ns, "rollout", "status", "statefulset/web", "--watch=false")
    assert (code, err) == (1, "error: rollout status is only available for RollingUpdate strategy type\n")
    code, _, err = await kubelab(apiserver, ns, "rollout", "status", "pod/web-0")
    assert (code, err) == (1, "error: no status viewer has been implemented for Pod\n")


async def test_rollout_status_without_watch_prints_once(apiserver, client, ns, controller):
    await client.create(web(2), ns)

    async def observed():
        return (await get_set(client, ns)).status.observed_generation == 1
    await wait_for(observed, what="the set observed")
    code, out, _ = await kubelab(apiserver, ns, "rollout", "status", "statefulset/web", "-w=false")
    assert (code, out) == (0, "Waiting for 2 pods to be ready...\n")
    code, _, err = await kubelab(apiserver, ns, "rollout", "status", "statefulset/web", "--timeout", "1s")
    assert (code, err) == (1, "error: timed out waiting for the condition\n")
