"""Fixtures for the runtime tests: a Redis of their own (so API servers can be killed, restarted and
shared without touching other modules' data) and example controller processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from tests.support import ROOT, RedisProcess, free_port


@pytest.fixture(scope="module")
def own_redis():
    server = RedisProcess(persistent=False).start()
    yield server
    server.stop()


class ExampleController:
    """tests/integration/runtime/example_controller.py as a process."""

    def __init__(self, apiserver: str, *args: str, identity: str):
        self.identity, self.port = identity, free_port()
        self.argv = [sys.executable, "-m", "tests.integration.runtime.example_controller", "--apiserver",
                     apiserver, "--listen", f"127.0.0.1:{self.port}", "--leader-elect-identity", identity, *args]
        self.log = Path(tempfile.mkstemp(prefix=f"kl-{identity}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> ExampleController:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                         stdout=log, stderr=log)
        return self

    def signal(self, sig: int) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.log.read_text()


@pytest.fixture
def example_controllers():
    """Start example controllers with `start(apiserver, *flags, identity=...)`; all stopped at the end."""
    started: list[ExampleController] = []

    def start(apiserver: str, *args: str, identity: str) -> ExampleController:
        c = ExampleController(apiserver, *args, identity=identity).start()
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()


def service(ns: str, name: str, labels: dict[str, str] | None = None) -> core_pb2.Service:
    svc = core_pb2.Service()
    svc.metadata.name, svc.metadata.namespace = name, ns
    svc.metadata.labels.update(labels or {})
    svc.spec.ports.add(port=80)
    return svc


async def new_namespace(client: Client, prefix: str = "rt") -> str:
    ns = core_pb2.Namespace()
    ns.metadata.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    await client.create(ns)
    return ns.metadata.name
