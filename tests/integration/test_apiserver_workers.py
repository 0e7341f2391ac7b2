"""`--workers N`: API server processes sharing one gRPC and one HTTP port on one Redis (services/apiserver/workers.py).

Which process serves a connection is read from the kernel: the server side of the connection (in
/proc/net/tcp, by the client's port) is a socket one of the workers holds open (accepted_connections).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
from pathlib import Path

import pytest
import redis

from kubelab.client import Client
from kubelab.cluster.healthcheck import SERVING, check_health
from kubelab.manifest import from_dict
from tests.support import ApiServerProcess, accepted_connections, free_port, wait_for, wait_until

pytestmark = pytest.mark.timeout(120)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


@pytest.fixture
def workers(redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/12"
    redis.Redis.from_url(url).flushdb()
    http_port = free_port()
    server = ApiServerProcess(url, "--workers", "2", "--http-listen", f"127.0.0.1:{http_port}").start()
    server.http_port = http_port
    try:
        wait_until(lambda: len(children(server.proc.pid)) == 1, 20, what="worker 1 started")
        wait_until(lambda: ' worker=1 logger=kubelab.skeleton msg="started"' in server.logs(), 20,
                   what="worker 1 serving")
        yield server
    finally:
        kids = children(server.proc.pid)
        server.stop()
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_both_workers_accept_connections_on_the_one_http_port(workers):
    pids = [workers.proc.pid, *children(workers.proc.pid)]
    wait_until(lambda: all(check_health(workers.address, timeout=1) == SERVING for _ in range(10)), 20,
               what="every worker SERVING")
    served = set()
    for _ in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", workers.http_port, timeout=10)
        conn.request("GET", "/api/v1/namespaces")
        resp = conn.getresponse()
        body = json.loads(resp.read())
        assert resp.status == 200 and {"default", "kube-system"} <= {n["metadata"]["name"] for n in body["items"]}
        held = accepted_connections(workers.http_port, pids)  # while the connection is open
        served |= {pid for pid, clients in held.items() if conn.sock.getsockname()[1] in clients}
        conn.close()
    assert served == set(pids), f"connections served by {served}, workers {pids}"


async def test_clients_of_one_process_spread_over_the_workers(workers):
    """Each Client has a connection of its own (not gRPC's process-wide one per address), so several in one
    process reach both workers."""
    pids = [workers.proc.pid, *children(workers.proc.pid)]
    clients = [Client(workers.address) for _ in range(16)]
    try:
        for c in clients:
            assert (await c.get("Namespace", "default")).metadata.name == "default"
        held = accepted_connections(workers.port, pids)
    finally:
        for c in clients:
            await c.close()
    assert sum(len(v) for v in held.values()) == 16 and all(held.values()), held


async def test_a_write_through_one_worker_is_read_through_any_other(workers):
    """Every create goes through a fresh connection and is read back through other fresh ones: get reads
    Redis, list waits until the worker's cache holds everything Redis acknowledged."""
    for i in range(20):
        async with Client(workers.address) as writer:
            created = await writer.create(from_dict({"apiVersion": "v1", "kind": "ConfigMap",
                                                     "metadata": {"name": f"cm-{i}", "namespace": "default"}}))
        async with Client(workers.address) as reader:
            got = await reader.get("ConfigMap", f"cm-{i}", "default")
            assert got.metadata.uid == created.metadata.uid
        async with Client(workers.address) as lister:
            items, _ = await lister.list("ConfigMap", "default")
            assert f"cm-{i}" in {c.metadata.name for c in items}


async def test_a_worker_that_exits_is_started_again(workers):
    (first,) = children(workers.proc.pid)
    os.kill(first, signal.SIGKILL)

    def restarted():
        new = [p for p in children(workers.proc.pid) if p != first and alive(p)]
        return new and f'msg="worker started" index=1 pid={new[0]}' in workers.logs()
    await wait_for(restarted, 20, "a new worker 1")
    assert 'msg="worker exited" index=1' in workers.logs()


def test_killing_worker_0_kills_the_others(workers):
    (worker,) = children(workers.proc.pid)
    workers.proc.kill()
    workers.proc.wait()
    wait_until(lambda: not alive(worker), 10, what="worker 1 gone with worker 0")


def test_sigterm_stops_every_worker_cleanly(workers):
    (worker,) = children(workers.proc.pid)
    assert workers.stop(signal.SIGTERM) == 0
    assert not alive(worker)
    log = workers.logs()
    stopped = [line for line in log.splitlines() if 'msg="stopped"' in line]
    assert len(stopped) == 2 and sum(" worker=1 " in line for line in stopped) == 1, log
    assert "Traceback" not in log and "worker exited" not in log


def test_worker_flags_are_checked(redis_server):
    server = ApiServerProcess(redis_server.url, "--workers", "0")
    server.start(wait=False)
    assert server.proc.wait(20) != 0
    assert "--workers: Invalid value: 0: must be between 1 and 64" in server.logs()
