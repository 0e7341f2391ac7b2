"""`kubelab record`: every watched kind's history into a file (format: kubelab.observe.history).

One list then one watch per kind, as a reflector runs them; an expired resourceVersion relists and
writes the list as a SNAPSHOT, so `check` can tell a gap (objects deleted meanwhile) from a store that
went back in time. The recorder also makes writes of its own, a small ConfigMap every `probe_interval`
seconds, and writes each acknowledgement (ACK, with the resourceVersion the server answered): those
are writes whose acknowledgement is known, so `check` can say whether an acknowledged write was lost.
At the end each kind is listed once more (the `final` SNAPSHOT), once its watch has delivered the
deletes of whatever that list lacks, or 5 s have passed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from typing import TextIO

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_gone
from kubelab.manifest import to_dict
from kubelab.observe.history import RECORDED_KINDS, VERSION, write_record

__all__ = ["Recorder", "PROBE_LABEL"]

log = logging.getLogger(__name__)

PROBE_LABEL = "kubelab.io/record-probe"
PROBE_KIND = "ConfigMap"
CATCH_UP = 5.0


def _key(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


class Recorder:
    def __init__(self, client: Client, out: TextIO, *, probe_interval: float = 1.0, namespace: str = "default"):
        self.client, self.out = client, out
        self.probe_interval, self.namespace = probe_interval, namespace
        self.run_id = uuid.uuid4().hex[:8]
        self.known: dict[str, set[str]] = {}
        self.deleted = asyncio.Event()

    def _write(self, data: dict) -> None:
        write_record(self.out, {**data, "time": round(time.time(), 6)})

    def _selector(self, kind: str) -> str:
        return f"{PROBE_LABEL}={self.run_id}" if kind == PROBE_KIND else ""

    async def _snapshot(self, kind: str, reason: str) -> str:
        items, rv = await self.client.list(kind, label_selector=self._selector(kind))
        objects = [to_dict(o) for o in items]
        self._write({"type": "SNAPSHOT", "kind": kind, "rv": int(rv or 0), "reason": reason, "objects": objects})
        self.known[kind] = {_key(o) for o in objects}
        return rv

    async def _record_kind(self, kind: str, rv: str) -> None:
        while True:
            try:
                async for ev in self.client.watch(kind, label_selector=self._selector(kind), resource_version=rv):
                    if ev.type == "BOOKMARK" or ev.object is None:
                        continue
                    obj = to_dict(ev.object)
                    self._write({"type": ev.type, "kind": kind, "rv": int(ev.resource_version or 0), "object": obj})
                    if ev.type == "DELETED":
                        self.known[kind].discard(_key(obj))
                        self.deleted.set()
                    else:
                        self.known[kind].add(_key(obj))
                    rv = ev.resource_version
            except ApiError as e:
                if not is_gone(e):
                    raise
                log.info("watch expired, relisting kind=%s", kind)
                rv = await self._snapshot(kind, "relist")

    async def _probe(self) -> None:
        for n in itertools.count(1):
            cm = core_pb2.ConfigMap()
            cm.metadata.name, cm.metadata.namespace = f"record-probe-{self.run_id}-{n}", self.namespace
            cm.metadata.labels[PROBE_LABEL] = self.run_id
            cm.data["n"] = str(n)
            try:
                made = await self.client.create(cm)
                self._write({"type": "ACK", "kind": PROBE_KIND, "op": "create", "namespace": self.namespace,
                             "name": cm.metadata.name, "rv": int(made.metadata.resource_version or 0)})
            except ApiError as e:  # not acknowledged: nothing was promised
                log.info("probe write failed name=%s error=%r", cm.metadata.name, e.message)
            await asyncio.sleep(self.probe_interval)

    async def _final(self, kind: str) -> None:
        """The last list, once the watch has caught up with the deletes it shows."""
        deadline = time.monotonic() + CATCH_UP
        while True:
            items, rv = await self.client.list(kind, label_selector=self._selector(kind))
            objects = [to_dict(o) for o in items]
            missing = self.known.get(kind, set()) - {_key(o) for o in objects}
            if not missing or time.monotonic() >= deadline:
                break
            self.deleted.clear()
            try:
                await asyncio.wait_for(self.deleted.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                pass
        self._write({"type": "SNAPSHOT", "kind": kind, "rv": int(rv or 0), "reason": "final", "objects": objects})

    async def run(self, stop: asyncio.Event) -> None:
        """Record until stop is set, then write the final lists and END. A watch that fails for good
        (not a broken stream, which resumes, nor an expired version, which relists) ends the recording
        with its error."""
        kinds = list(RECORDED_KINDS) + ([PROBE_KIND] if self.probe_interval > 0 else [])
        self._write({"type": "HEADER", "version": VERSION, "server": self.client.address, "kinds": kinds,
                     "probe": self.run_id})
        versions = {k: await self._snapshot(k, "initial") for k in kinds}
        async with asyncio.TaskGroup() as tg:
            watches = [tg.create_task(self._record_kind(k, versions[k])) for k in kinds]
            probe = tg.create_task(self._probe()) if self.probe_interval > 0 else None
            await stop.wait()
            if probe is not None:
                probe.cancel()
            for kind in kinds:
                await self._final(kind)
            self._write({"type": "END"})
            for t in watches:
                t.cancel()
        await self._remove_probes()

    async def _remove_probes(self) -> None:
        items, _ = await self.client.list(PROBE_KIND, namespace=self.namespace,
                                          label_selector=f"{PROBE_LABEL}={self.run_id}")
        for cm in items:
            try:
                await self.client.delete(PROBE_KIND, cm.metadata.name, self.namespace)
            except ApiError as e:
                log.info("probe not removed name=%s error=%r", cm.metadata.name, e.message)
