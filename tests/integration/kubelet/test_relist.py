"""A container is reported as the kubelet learns it, by relisting: one that exits within a moment of its
start is never written Running or Ready (issue 12, item 1), one that keeps running is, a relist later."""
from __future__ import annotations

import asyncio
import textwrap

from tests.integration.kubelet.kubelet_support import condition, container_state, wait_pod


def crasher(name: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["sh", "-c", "exit 1"]
        """)


async def _statuses(client, name: str, until, timeout: float = 40.0) -> list:
    """Every version of the pod written until until(pod) holds."""
    seen = []

    async def collect():
        async for ev in client.watch("Pod", "default", field_selector=f"metadata.name={name}"):
            if ev.object is None:
                continue
            seen.append(ev.object)
            if until(ev.object):
                return
    await asyncio.wait_for(collect(), timeout)
    return seen


async def test_a_container_that_exits_at_once_is_never_running_nor_ready(node, client):
    names = [f"flash-{i}" for i in range(4)]
    watches = [asyncio.create_task(_statuses(client, n, lambda p: p.status.container_statuses
                                             and p.status.container_statuses[0].restart_count >= 3))
               for n in names]
    for n in names:
        await client.create_manifest(crasher(n), "default")
    for n, task in zip(names, watches):
        versions = await task
        assert len(versions) > 3, n
        for p in versions:
            state, _, cs = container_state(p)
            assert state != "running", f"{n} written running at rv {p.metadata.resource_version}"
            assert cs is None or not cs.ready, n
            assert condition(p, "Ready") != "True" and condition(p, "ContainersReady") != "True", n


async def test_a_running_container_is_reported_running_and_ready(node, client):
    await client.create_manifest(crasher("steady").replace('"exit 1"', '"sleep 300"'), "default")
    p = await wait_pod(client, "steady", lambda p: condition(p, "Ready") == "True", what="steady Ready")
    state, _, cs = container_state(p)
    assert (state, cs.ready, cs.started, p.status.phase) == ("running", True, True, "Running")
