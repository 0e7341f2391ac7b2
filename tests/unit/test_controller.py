"""The controller loop's outcomes and key mapping, on a fake clock with informers fed by hand."""
import asyncio

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.controller import Controller, Result, TerminalError, controller_owner_key
from kubelab.informer import InformerFactory
from kubelab.workqueue import FakeClock, WorkQueue


def rs(name: str, rv: int = 1) -> apps_pb2.ReplicaSet:
    r = apps_pb2.ReplicaSet()
    r.metadata.name, r.metadata.namespace, r.metadata.uid = name, "ns", f"uid-{name}"
    r.metadata.resource_version = str(rv)
    return r


def pod(name: str, owner: str | None, rv: int = 1, controller: bool = True) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, "ns", f"uid-{name}"
    p.metadata.resource_version = str(rv)
    if owner:
        p.metadata.owner_references.add(kind="ReplicaSet", name=owner, uid=f"uid-{owner}", controller=controller)
    return p


class Scripted:
    """Answers each reconcile of a key with the next scripted outcome (default: done)."""

    def __init__(self, script: dict[str, list]):
        self.script, self.calls = script, []

    async def reconcile(self, key: str):
        self.calls.append(key)
        outcomes = self.script.get(key, [])
        outcome = outcomes.pop(0) if outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


class Harness:
    def __init__(self, script, **kw):
        self.clock = FakeClock()
        self.factory = InformerFactory(client=None)
        self.rs, self.pods = self.factory.informer("ReplicaSet"), self.factory.informer("Pod")
        for inf in (self.rs, self.pods):
            inf._replace([], "1")
            inf._synced.set()
        self.reconciler = Scripted(script)
        self.ctrl = Controller("test", self.reconciler, self.factory, for_kind="ReplicaSet", owns=["Pod"],
                               workers=2, new_queue=lambda name: WorkQueue(name, clock=self.clock), **kw)


def test_controller_owner_key():
    assert controller_owner_key(pod("p", "rs1"), "ReplicaSet") == "ns/rs1"
    assert controller_owner_key(pod("p", "rs1", controller=False), "ReplicaSet") is None
    assert controller_owner_key(pod("p", None), "ReplicaSet") is None


async def test_outcomes():
    h = Harness({"ns/again": [Result(requeue_after=5)], "ns/fail": [RuntimeError("boom"), RuntimeError("boom")],
                 "ns/terminal": [TerminalError("bad spec")]})
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(h.ctrl.run())
        for name in ["again", "fail", "terminal", "done"]:
            h.rs._apply("ADDED", rs(name, 2), "2")
        await settle()
        assert sorted(h.reconciler.calls) == ["ns/again", "ns/done", "ns/fail", "ns/terminal"]
        h.reconciler.calls.clear()
        h.clock.advance(0.005)  # first retry after 5 ms
        await settle()
        assert h.reconciler.calls == ["ns/fail"]
        h.clock.advance(0.009)  # the second waits 10 ms
        await settle()
        assert h.reconciler.calls == ["ns/fail"]
        h.clock.advance(0.001)
        await settle()
        assert h.reconciler.calls == ["ns/fail", "ns/fail"]
        assert h.ctrl.queue.num_requeues("ns/fail") == 0  # succeeded: forgotten
        h.clock.advance(5)
        await settle()
        assert h.reconciler.calls == ["ns/fail", "ns/fail", "ns/again"]
        h.clock.advance(1000)
        await settle()
        assert "ns/terminal" not in h.reconciler.calls
        h.ctrl.shut_down()
        await run


async def test_owned_objects_map_to_their_owner_and_owner_changes_reach_both():
    h = Harness({})
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(h.ctrl.run())
        h.pods._apply("ADDED", pod("p1", "rs1", 2), "2")
        h.pods._apply("ADDED", pod("orphan", None, 3), "3")
        await settle()
        assert h.reconciler.calls == ["ns/rs1"]
        h.pods._apply("MODIFIED", pod("p1", "rs2", 4), "4")  # adopted by another
        await settle()
        assert sorted(h.reconciler.calls[1:]) == ["ns/rs1", "ns/rs2"]
        h.ctrl.shut_down()
        await run


async def test_nothing_is_reconciled_while_not_leading():
    leading = [False]
    h = Harness({}, can_act=lambda: leading[0])
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(h.ctrl.run())
        h.rs._apply("ADDED", rs("a", 2), "2")
        await settle()
        h.clock.advance(2)
        await settle()
        assert h.reconciler.calls == []
        leading[0] = True
        h.clock.advance(0.5)
        await settle()
        assert h.reconciler.calls == ["ns/a"]
        h.ctrl.shut_down()
        await run


async def test_run_again_after_being_cancelled():
    h = Harness({})
    loop = asyncio.get_running_loop()
    task = loop.create_task(h.ctrl.run())
    await settle()
    h.rs._apply("ADDED", rs("a", 2), "2")
    await settle()
    task.cancel()  # leadership lost
    await asyncio.gather(task, return_exceptions=True)
    assert h.reconciler.calls == ["ns/a"] and h.rs._registrations == []
    h.rs._apply("MODIFIED", rs("a", 3), "3")  # not leading: nobody listens
    task = loop.create_task(h.ctrl.run())  # leading again: the cache is replayed
    await settle()
    assert h.reconciler.calls == ["ns/a", "ns/a"]
    h.ctrl.shut_down()
    await task


def labelled(name: str, rv: int, **labels) -> core_pb2.Pod:
    p = pod(name, None, rv)
    p.metadata.labels.update(labels)
    return p


async def test_watches_map_label_changes_to_old_and_new_keys_and_filter_updates():
    f = InformerFactory(client=None)
    rsi, pods = f.informer("ReplicaSet"), f.informer("Pod")
    for inf in (rsi, pods):
        inf._replace([], "1")
        inf._synced.set()
    reconciler = Scripted({})
    by_app = lambda p: [f"ns/{p.metadata.labels['app']}"] if "app" in p.metadata.labels else []  # noqa: E731
    wanted = lambda old, new: old.metadata.labels != new.metadata.labels  # noqa: E731
    ctrl = Controller("test", reconciler, f, for_kind="ReplicaSet", watches=[("Pod", by_app, wanted)])
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(ctrl.run())
        pods._apply("ADDED", labelled("p", 2, app="a"), "2")
        await settle()
        pods._apply("MODIFIED", labelled("p", 3, app="a"), "3")  # filtered out
        await settle()
        assert reconciler.calls == ["ns/a"]
        pods._apply("MODIFIED", labelled("p", 4, app="b"), "4")  # both the old and the new key
        await settle()
        assert sorted(reconciler.calls[1:]) == ["ns/a", "ns/b"]
        ctrl.shut_down()
        await run
