"""A small example controller: it stamps every Service labelled `example.kubelab.io/stamp=true`
with who reconciled it and when, at most every `--period` seconds.

    python -m tests.integration.runtime.example_controller --apiserver 127.0.0.1:6443 \\
        --namespace demo --leader-elect --leader-elect-lease-duration 3s

The parts: a config (flags + env), a pure decision (`stamp_due`), a reconciler that reads the
informer cache and acts, and the process skeleton that runs it only while leading. The leader
election tests run several copies and check from the stamps who acted when.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from google.protobuf.message import Message

from kubelab.controller import Controller, Result
from kubelab.events import NORMAL
from kubelab.config import new_config
from kubelab.process import Process, ProcessConfig, run

LABEL = "example.kubelab.io/stamp"
BY, AT = "example.kubelab.io/stamped-by", "example.kubelab.io/stamped-at"


@dataclass(frozen=True)
class Config(ProcessConfig):
    namespace: str = ""
    """Namespace whose Services are stamped; empty: all namespaces."""
    period: float = 0.5
    """Seconds between two stamps of one Service."""


def stamp_due(svc: Message, identity: str, now: float, period: float) -> bool:
    """The decision, a pure function of the snapshot and the clock."""
    if svc.metadata.labels.get(LABEL) != "true" or svc.metadata.HasField("deletion_timestamp"):
        return False
    ann = svc.metadata.annotations
    return ann.get(BY) != identity or now - float(ann.get(AT) or 0) >= period


class Stamper:
    def __init__(self, proc: Process, cfg: Config):
        self.proc, self.period = proc, cfg.period
        self.identity = proc.elector.identity if proc.elector else "standalone"
        self.services = proc.informers.informer("Service", cfg.namespace)

    async def reconcile(self, key: str) -> Result | None:
        svc = self.services.get(key)
        if svc is None or svc.metadata.labels.get(LABEL) != "true":
            return None
        now = time.time()
        if stamp_due(svc, self.identity, now, self.period):
            # A merge patch is unconditional (no resourceVersion): only leader election keeps
            # a replica that is no longer leading from writing.
            stamp = {BY: self.identity, AT: f"{now:.3f}"}
            await self.proc.client.patch("Service", svc.metadata.name, {"metadata": {"annotations": stamp}},
                                         svc.metadata.namespace)
            if svc.metadata.annotations.get(BY) != self.identity:
                self.proc.events.event(svc, NORMAL, "Stamped", f"stamped by {self.identity}")
        return Result(requeue_after=self.period)


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    proc.add_controller(Controller("stamper", Stamper(proc, cfg), proc.informers, for_kind="Service",
                                   namespace=cfg.namespace, workers=2))


def main() -> None:
    run("example", new_config(Config, prog="python -m tests.integration.runtime.example_controller"), setup)


if __name__ == "__main__":
    main()
