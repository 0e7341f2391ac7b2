"""The cluster verbs end to end, through the installed `kubelab` command, in temporary state dirs.

Everything is real: Redis, the partition proxy, the API server, every controller, the kubelets (with a
one-second heartbeat, so that a node cut off from the API server shows in its Lease within seconds).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubelab.errors import is_conflict, is_not_found
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
KUBELAB = [shutil.which("kubelab")] if shutil.which("kubelab") else [sys.executable, "-m", "kubelab.cli"]
NODES = 2


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KUBELAB_STATE_DIR", None)
    env.pop("KUBELAB_SERVER", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env["KUBELAB_HEARTBEAT_INTERVAL"] = "1"  # the kubelets' Lease renewals
    return env


class Cluster:
    """One state dir and the `kubelab` command pointed at it."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.env = _env()

    def run(self, *args: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        cmd = [*KUBELAB, "--state-dir", str(self.state_dir), *args]
        result = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def ps(self) -> dict[str, dict]:
        # a generous health timeout: a busy machine must not turn NOT_SERVING into "unreachable"
        ps = self.run("ps", "--format", "json", "--timeout", "3")
        return {row["name"]: row for row in json.loads(ps.stdout)}

    def wait_for(self, what: str, cond, timeout: float = 30) -> dict[str, dict]:
        """Poll `kubelab ps` until cond(rows) holds; on timeout, say what `ps` showed last."""
        last: dict[str, dict] = {}

        def check():
            last.clear()
            last.update(self.ps())
            return cond(last) and dict(last)

        try:
            return wait_until(check, timeout, 0.2, what)
        except AssertionError as e:
            shown = {n: (r["state"], r["health"]) for n, r in last.items()}
            logs = "".join(f"\n--- {n} ---\n" + self.run("component-logs", n, "--tail", "40", check=False).stdout
                           for n, r in last.items() if r["health"] != "SERVING")
            raise AssertionError(f"{e}; last `kubelab ps`: {shown}{logs}") from None

    def wait_all_serving(self, timeout: float = 30) -> dict[str, dict]:
        return self.wait_for("every process running and SERVING", lambda rows: all(
            r["state"] == "running" and r["health"] == "SERVING" for r in rows.values()), timeout)

    def teardown(self) -> None:
        self.run("down", "--purge", "--timeout", "5", check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster") / "state")
    try:
        c.run("up", "-d", "--nodes", str(NODES))
        yield c
    finally:
        c.teardown()


def _storage_classes(addr: str) -> list[str]:
    from kubelab.client import Client

    async def names():
        async with Client(addr, retry_deadline=10) as client:
            items, _ = await client.list("StorageClass")
            return sorted(sc.metadata.name for sc in items)

    return asyncio.run(names())


def test_up_starts_everything_healthy(cluster):
    rows = cluster.wait_all_serving()
    expected = {"redis", "proxy", "apiserver", "scheduler"} | {f"node-{i}" for i in range(1, NODES + 1)}
    assert expected <= set(rows)
    assert all(r["pid"] for r in rows.values())
    assert _storage_classes(rows["apiserver"]["address"]) == ["network-disk", "shared", "standard"]
    table = cluster.run("ps").stdout.splitlines()
    assert table[0].split() == ["NAME", "PID", "STATE", "HEALTH", "ROLE", "ADDRESS"]


def test_components_serve_prometheus_metrics(cluster):
    import urllib.request

    rows = cluster.wait_all_serving()
    with urllib.request.urlopen(f"http://{rows['apiserver']['metrics']}/metrics", timeout=10) as resp:
        api = resp.read().decode()
    assert re.search(r'^apiserver_storage_objects\{resource="pods"\} \d+', api, re.M), api[:2000]
    for name in ("scheduler", "replicaset", "node-1"):
        with urllib.request.urlopen(f"http://{rows[name]['metrics']}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        assert "# TYPE workqueue_depth gauge" in text, name
        assert "leader_election_master_status" in text or name.startswith("node-"), name
    replicaset = urllib.request.urlopen(f"http://{rows['replicaset']['metrics']}/metrics", timeout=10).read().decode()
    assert re.search(r'^workqueue_depth\{name="deployment"\} \d+', replicaset, re.M), replicaset[:2000]


def _hold_lease(addr: str, name: str, holder: str) -> None:
    from kubelab.api.v1 import coordination_pb2, meta_pb2
    from kubelab.client import ApiError, Client

    lease = coordination_pb2.Lease(
        metadata=meta_pb2.ObjectMeta(name=name, namespace="kube-system"),
        spec=coordination_pb2.LeaseSpec(holder_identity=holder, lease_duration_seconds=15),
    )

    async def write():
        async with Client(addr, retry_deadline=10) as client:
            while True:  # the component renews its own lease meanwhile: retry on conflict
                try:
                    current = await client.get("Lease", name, "kube-system")
                except ApiError as e:
                    if not is_not_found(e):
                        raise
                    await client.create(lease)
                    return
                current.spec.holder_identity = holder
                try:
                    await client.update(current)
                    return
                except ApiError as e:
                    if not is_conflict(e):
                        raise

    asyncio.run(write())


def test_role_comes_from_the_components_lease(cluster):
    addr = cluster.ps()["apiserver"]["address"]
    # the launcher runs controllers with --leader-elect: the only scheduler takes the lease
    cluster.wait_for("the scheduler to lead", lambda r: r["scheduler"]["role"] == "leader")
    # another replica's identity (as leaderelection.default_identity) holds the lease now
    _hold_lease(addr, "scheduler", "somehost_scheduler-2_99ab01cd")
    cluster.wait_for("the scheduler to stand by", lambda r: r["scheduler"]["role"] == "standby")


def test_kill_keeps_a_component_down_until_start(cluster):
    cluster.run("kill", "node-1")
    rows = cluster.ps()
    assert rows["node-1"]["state"] == "killed" and rows["node-1"]["pid"] is None
    assert rows["node-2"]["state"] == "running"
    cluster.run("start", "node-1")
    cluster.wait_for("node-1 SERVING", lambda r: r["node-1"]["health"] == "SERVING")


def test_pause_and_resume(cluster):
    cluster.run("pause", "scheduler")
    rows = cluster.ps()
    assert rows["scheduler"]["state"] == "paused" and rows["scheduler"]["health"] == "unreachable"
    cluster.run("resume", "scheduler")
    cluster.wait_for("scheduler SERVING again", lambda r: r["scheduler"]["health"] == "SERVING")


def _heartbeat_ages(addr: str) -> dict[str, float]:
    """Seconds since each node last renewed its Lease in kube-node-lease."""
    from kubelab.client import Client

    async def ages():
        async with Client(addr, retry_deadline=5) as client:
            leases, _ = await client.list("Lease", namespace="kube-node-lease")
        now = time.time()
        return {lease.metadata.name: now - lease.spec.renew_time.ToNanoseconds() / 1e9 for lease in leases}

    return asyncio.run(ages())


def _wait_heartbeats(cluster: Cluster, what: str, cond) -> None:
    addr = cluster.ps()["apiserver"]["address"]
    wait_until(lambda: cond(_heartbeat_ages(addr)), 30, 0.2, what)


@pytest.mark.parametrize("mode", ["drop", "reject"])
def test_partition_cuts_a_node_off_the_apiserver(cluster, mode):
    _wait_heartbeats(cluster, "every node heartbeating", lambda age: len(age) == NODES and max(age.values()) < 3)
    cluster.run("partition", "node-2", *(["--reject"] if mode == "reject" else []))
    rows = cluster.ps()
    assert rows["node-2"]["state"] == "partitioned" and rows["node-2"]["pid"]
    assert rows["node-1"]["state"] == "running"
    _wait_heartbeats(cluster, "node-2 silent, node-1 not", lambda age: age["node-2"] > 4 and age["node-1"] < 3)
    cluster.wait_for("node-2 reporting it cannot reach the API server",
                     lambda r: r["node-2"]["health"] == "NOT_SERVING" and r["node-1"]["health"] == "SERVING")
    cluster.run("heal", "node-2")
    assert cluster.ps()["node-2"]["state"] == "running"
    _wait_heartbeats(cluster, "node-2 heartbeating again", lambda age: age["node-2"] < 3)
    cluster.wait_for("node-2 healthy again", lambda r: r["node-2"]["health"] == "SERVING")


def test_partition_the_apiserver_from_redis(cluster):
    cluster.run("partition", "apiserver")
    rows = cluster.wait_for("apiserver without Redis, Redis up", lambda r: (
        r["apiserver"]["health"] == "NOT_SERVING" and r["redis"]["health"] == "SERVING"))
    assert rows["apiserver"]["state"] == "partitioned"
    cluster.run("heal")
    cluster.wait_all_serving()


def test_restart_and_stop(cluster):
    before = cluster.ps()["apiserver"]["pid"]
    cluster.run("restart", "apiserver")
    rows = cluster.wait_all_serving()
    assert rows["apiserver"]["pid"] != before
    cluster.run("stop", "scheduler")
    assert cluster.ps()["scheduler"]["state"] == "stopped"
    cluster.run("start", "scheduler")


def test_unknown_component_is_an_error(cluster):
    result = cluster.run("kill", "nosuch", check=False)
    assert result.returncode == 1 and "no component named 'nosuch'" in result.stderr
    result = cluster.run("component-logs", "apiserver", "--tail", "3")
    assert result.stdout.strip()


def test_down_then_up_brings_the_same_cluster_back(cluster):
    addr = cluster.ps()["apiserver"]["address"]
    cluster.run("down")
    assert {r["state"] for r in cluster.ps().values()} == {"stopped"}
    cluster.run("up", "-d")
    rows = cluster.wait_all_serving()
    assert rows["apiserver"]["address"] == addr
    assert _storage_classes(addr) == ["network-disk", "shared", "standard"]
    assert json.loads((cluster.state_dir / "cluster.json").read_text())["bootstrapped"] is True


def test_two_clusters_side_by_side(cluster, tmp_path):
    other = Cluster(tmp_path / "other")
    try:
        other.run("up", "-d", "--nodes", "1")
        mine, theirs = cluster.wait_all_serving(), other.wait_all_serving()
        assert not {r["address"] for r in mine.values()} & {r["address"] for r in theirs.values()}
        other.run("kill", "apiserver")
        assert other.ps()["apiserver"]["state"] == "killed"
        cluster.wait_for("this apiserver unaffected", lambda r: r["apiserver"]["health"] == "SERVING")
    finally:
        other.teardown()
    assert not other.state_dir.exists()


def test_foreground_up_streams_logs_and_stops_on_sigterm(tmp_path):
    c = Cluster(tmp_path / "fg")
    cmd = [*KUBELAB, "--state-dir", str(c.state_dir), "up", "--nodes", "1"]
    proc = subprocess.Popen(cmd, env=c.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "event=attached" in line:
                break
        assert any(re.match(r"apiserver +\| ", line) for line in seen), "".join(seen)
        assert any(re.match(r"redis +\| ", line) for line in seen), "".join(seen)
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=60)[0]
        assert proc.returncode == 0, rest
        assert "event=stopped name=apiserver" in rest
        assert {r["state"] for r in c.ps().values()} == {"stopped"}
    finally:
        if proc.poll() is None:
            proc.kill()
        c.teardown()
