"""PodControl over a client double: creates and deletes cut short (leadership lost while the API server was
away) lower the expectations, so the next term's sync is not held back until they expire."""
import asyncio

from kubelab.events import EventRecorder
from kubelab.expectations import UIDTrackingExpectations
from services.replicaset.pod_control import PodControl
from tests.unit.replicaset.builders import pod, replica_set

KEY = "default/web-1"


class StuckApi:
    """Answers the first `answered` creates and deletes, then never answers (the API server went away)."""

    def __init__(self, answered: int):
        self.answered, self.calls = answered, 0
        self.stuck = asyncio.Event()

    async def _call(self, obj):
        self.calls += 1
        if self.calls > self.answered:
            self.stuck.set()
            await asyncio.Event().wait()
        return obj

    async def create(self, p):
        p.metadata.name = f"web-1-{self.calls}"
        return await self._call(p)

    async def delete(self, kind, name, namespace, uid=None):
        return await self._call(None), True


async def cut_short(coro, api: StuckApi) -> None:
    task = asyncio.create_task(coro)
    await api.stuck.wait()
    await asyncio.sleep(0)  # the rest of the batch is under way too
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_creates_cut_short_do_not_hold_the_set_back():
    api, expectations = StuckApi(answered=3), UIDTrackingExpectations()
    control = PodControl(api, EventRecorder(api, "replicaset-controller"), expectations)
    await cut_short(control.create_pods(replica_set("web-1", 10), KEY, 10), api)
    assert 3 < api.calls < 10  # cancelled in the middle of the third batch (1, 2, 4)
    for _ in range(3):  # the informer sees the three pods that were created
        expectations.creation_observed(KEY)
    assert expectations.satisfied(KEY)


async def test_deletes_cut_short_do_not_hold_the_set_back():
    api, expectations = StuckApi(answered=1), UIDTrackingExpectations()
    control = PodControl(api, EventRecorder(api, "replicaset-controller"), expectations)
    pods = [pod(f"web-1-{i}") for i in range(3)]
    await cut_short(control.delete_pods(replica_set("web-1", 0), KEY, pods), api)
    expectations.pod_deletion_observed(KEY, "default/web-1-0")  # the one deletion that went through
    assert expectations.satisfied(KEY)
