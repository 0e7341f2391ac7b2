"""Issue 12, item 7: events are not lost under load. A component that repeats itself (the scheduler failing
the same pods every cycle, faster than events are written) fills its event queue with repeats; the
recorder folds each repeat into the queued event, so every pod's event is written with its full count
and a pod failing for the first time still gets its event. Real API server, real writes."""
from __future__ import annotations

import asyncio

from kubelab.api.v1 import core_pb2
from kubelab.events import EventRecorder
from tests.support import running

PODS = 8
CYCLES = 100


def pod(name: str) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, "default", f"uid-{name}"
    return p


async def test_a_flood_of_repeats_loses_no_pod_its_event(client):
    rec = EventRecorder(client, "default-scheduler", host="h", queue_size=PODS + 2)
    message = "0/3 nodes are available: 3 Insufficient cpu."
    for _ in range(CYCLES):  # each cycle fails every pod again, without waiting for the writes
        for i in range(PODS):
            rec.event(pod(f"flood-{i}"), "Warning", "FailedScheduling", message)
    rec.event(pod("newcomer"), "Warning", "FailedScheduling", message)
    async with running(rec):
        deadline = asyncio.get_running_loop().time() + 20
        while rec.pending() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
    assert rec.dropped == 0
    events, _ = await client.list("Event", "default")
    counts = {e.involved_object.name: e.count for e in events if e.reason == "FailedScheduling"}
    assert counts == {**{f"flood-{i}": CYCLES for i in range(PODS)}, "newcomer": 1}
