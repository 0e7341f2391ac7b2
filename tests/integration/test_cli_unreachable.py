"""Issue 12, item 4: an unreachable API server is reported as what happened, as kubectl reports it, within
a bounded wait: nobody listening (refused), a paused server (SIGSTOP: connected, never answered, i/o
timeout), and a server that answers but has lost Redis (its own ServiceUnavailable answer)."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support import ROOT, ApiServerProcess, RedisProcess, free_port

#: The command's 5 s connect deadline, a 2 s diagnosis and a Python start-up on a loaded machine.
BOUND = 20.0


def kubelab(server: str, *args: str) -> tuple[int, str, float]:
    began = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "kubelab.cli.main", "--server", server, *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stderr.strip(), time.monotonic() - began


@pytest.fixture
def own_redis():
    r = RedisProcess().start()
    yield r
    r.stop(signal.SIGKILL)


@pytest.fixture
def server(own_redis):
    s = ApiServerProcess(own_redis.url).start()
    yield s
    if s.proc.poll() is None:
        s.proc.send_signal(signal.SIGCONT)
    s.stop(signal.SIGKILL)


def test_nobody_listening_is_refused():
    address = f"127.0.0.1:{free_port()}"
    code, err, took = kubelab(address, "get", "pods")
    assert (code, err) == (1, f"The connection to the server {address} was refused - did you specify the right "
                              "host or port?")
    assert took < BOUND


def test_a_killed_server_is_refused(server):
    assert kubelab(server.address, "get", "pods")[:2] == (0, "No resources found in default namespace.")
    server.stop(signal.SIGKILL)
    code, err, took = kubelab(server.address, "get", "pods")
    assert (code, err) == (1, f"The connection to the server {server.address} was refused - did you specify "
                              "the right host or port?")
    assert took < BOUND


def test_a_paused_server_times_out(server):
    server.proc.send_signal(signal.SIGSTOP)
    code, err, took = kubelab(server.address, "get", "pods")
    assert code == 1
    assert re.fullmatch(rf"Unable to connect to the server: read tcp 127\.0\.0\.1:\d+->{server.address}: "
                        r"i/o timeout", err), err
    assert took < BOUND
    server.proc.send_signal(signal.SIGCONT)
    assert kubelab(server.address, "get", "pods")[:2] == (0, "No resources found in default namespace.")


def test_a_server_without_its_storage_says_so(server, own_redis):
    own_redis.stop(signal.SIGKILL)
    code, err, took = kubelab(server.address, "get", "pods")
    assert code == 1
    assert err.startswith("Error from server (ServiceUnavailable): storage is unavailable"), err
    assert took < BOUND
