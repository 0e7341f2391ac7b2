"""The cluster's processes as `kubelab ps` sees them, and the failure verbs, for the page's buttons.

Process state is not in the API: it is in the launcher's state dir and in /proc, so `rows()`
(kubelab/cluster/status.py, the code behind `kubelab ps`) is read every `interval` seconds; leadership
comes from the Leases the page's informer already holds (never a list of the API). The buttons call the
launcher's own methods (kubelab/cluster/launcher.py), the code behind `kubelab kill|start|pause|...`.
Without a launcher's state dir (docker compose) only what the Leases tell is shown, without buttons.

The same reads bring the timeline's component lines: the launcher appends each verb it carries out (ours
and the `kubelab` commands' alike) to `<state-dir>/journal.jsonl`, and what is new there becomes "Change"
views (services/ui/timeline.py, with `kubelab timeline`'s own wording).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from google.protobuf.message import Message

from kubelab.cluster import journal
from kubelab.cluster.launcher import ClusterError, Launcher
from kubelab.cluster.proxyctl import ProxyError
from kubelab.cluster.state import StateDir
from kubelab.cluster.status import Row, rows
from services.ui.timeline import journal_views

__all__ = ["VERBS", "Components", "component_view"]

log = logging.getLogger(__name__)

VERBS = ("kill", "start", "pause", "resume", "partition", "heal")


def component_view(row: Row, lease: Message | None, actions: bool) -> dict:
    """A `kubelab ps` row plus its Lease's holder and renew time (the page draws the age)."""
    out = {"name": row.name, "pid": row.pid, "state": row.state, "health": row.health, "role": row.role,
           "address": row.address, "actions": actions}
    if lease is not None and lease.spec.HasField("renew_time"):
        out["lease"] = {"holder": lease.spec.holder_identity, "duration": lease.spec.lease_duration_seconds,
                        "renewed": lease.spec.renew_time.ToMilliseconds() / 1000}
    return out


def _lease_of(name: str, leases: dict[str, Message]) -> Message | None:
    """The Lease a process's component elects on: `scheduler-2` -> scheduler."""
    if name in leases:
        return leases[name]
    base, _, n = name.rpartition("-")
    return leases.get(base) if n.isdigit() and not name.startswith("node-") else None


class Components:
    def __init__(self, state_dir: str, leases, put_views, interval: float = 1.0):
        self.sd = StateDir(Path(state_dir)) if state_dir else None
        self.leases, self.put_views, self.interval = leases, put_views, interval
        self.shown: set[str] = set()
        self.refresh = asyncio.Event()
        self.journal_seen = (0, 0)
        """(size of journal.jsonl, records read) at the last read: an unchanged file is not read again."""

    @property
    def managed(self) -> bool:
        return self.sd is not None and self.sd.exists()

    def _kube_system_leases(self) -> dict[str, Message]:
        return {lease.metadata.name: lease for lease in self.leases.list("kube-system")}

    def views(self) -> dict[str, dict]:
        leases = self._kube_system_leases()
        if not self.managed:  # compose: the leases are all there is
            return {name: component_view(Row(name, None, "-", "-", "leader" if lease.spec.holder_identity
                                             else "-", ""), lease, False) for name, lease in leases.items()}
        return {r.name: component_view(r, _lease_of(r.name, leases), True)
                for r in rows(self.sd, timeout=0.5, leases=leases)}

    def journal_lines(self) -> dict[tuple[str, str], dict]:
        """The timeline lines of the journal records written since the last call."""
        if not self.managed:
            return {}
        try:
            size = (self.sd.root / journal.JOURNAL).stat().st_size
        except FileNotFoundError:
            return {}
        if size == self.journal_seen[0]:
            return {}
        records = journal.read(self.sd.root)
        start = self.journal_seen[1] if size > self.journal_seen[0] else 0  # smaller: a new journal
        self.journal_seen = (size, len(records))
        return journal_views(records[start:])

    def read(self) -> dict[tuple[str, str], dict | None] | None:
        views = self.views()
        out: dict[tuple[str, str], dict | None] = {("Component", n): None for n in self.shown - set(views)}
        out.update({("Component", n): v for n, v in views.items()})
        self.shown = set(views)
        out.update(self.journal_lines())
        return out

    async def run(self) -> None:
        while True:
            try:
                views = await asyncio.to_thread(self.read)
            except Exception:  # a half-written state dir, a process gone mid-read: next round
                log.exception("reading the components failed")
                views = None
            if views is not None:
                self.put_views(views)
            self.refresh.clear()
            try:
                await asyncio.wait_for(self.refresh.wait(), self.interval)
            except TimeoutError:
                pass

    async def act(self, verb: str, name: str) -> str:
        """Carry out `kubelab VERB NAME` with the launcher; ClusterError says why it could not."""
        if verb not in VERBS:
            raise ClusterError(f"unknown action {verb!r} (actions: {', '.join(VERBS)})")
        if not self.managed:
            raise ClusterError("this cluster was not started by `kubelab up`: the page cannot act on its processes")
        said: list[str] = []
        launcher = Launcher(self.sd.root, say=said.append)
        method = {"kill": launcher.kill, "start": lambda n: launcher.start(n, wait=False),
                  "pause": launcher.pause, "resume": launcher.resume, "partition": launcher.partition,
                  "heal": launcher.heal}[verb]
        try:
            await asyncio.to_thread(method, name)
        except (ProxyError, OSError) as e:
            raise ClusterError(str(e)) from e
        finally:
            self.refresh.set()
        log.info("action verb=%s name=%s said=%r", verb, name, " ".join(said))
        return " ".join(said)
