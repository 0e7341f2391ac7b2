"""Lab 5 (labs/05-redis-lost): its steps on a real cluster: `check` passes across a Redis restart with its
append-only file, and reports lost writes after one without."""
from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.e2e.cluster import KUBELAB, ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order

LAB = "05-redis-lost"


def _deployments(cluster) -> list[dict]:
    return json.loads(cluster.run("get", "deploy", "-o", "json").stdout)["items"]


class Recording:
    def __init__(self, cluster, path):
        self.cluster, self.path = cluster, path
        self.proc = subprocess.Popen([*KUBELAB, "--state-dir", str(cluster.state_dir), "record", str(path)],
                                     env=cluster.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        wait_until(lambda: path.exists() and path.read_text().count('"initial"') >= 10, timeout=20,
                   what="the recorder's initial lists")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err


def _healthy(cluster) -> bool:
    return cluster.run("get", "pods", check=False).returncode == 0


@pytest.mark.timeout(120)
def test_lab_05_redis_lost(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "web.yaml"))
        c.run("rollout", "status", "deployment/web", "--timeout", "60s")
        aof = c.state_dir / "redis" / "appendonly.aof"
        assert aof.exists() or (c.state_dir / "redis" / "appendonlydir").exists()

        rec = Recording(c, tmp_path / "a.jsonl")
        c.run("kill", "redis")
        unavailable = c.run("get", "pods", check=False)
        assert unavailable.returncode == 1 and "ServiceUnavailable" in unavailable.stderr, unavailable.stderr
        c.run("start", "redis")
        wait_until(lambda: _healthy(c), timeout=30, what="the API answering again")
        assert [d["metadata"]["name"] for d in _deployments(c)] == ["web"]
        rec.stop()
        part_a = c.run("check", str(tmp_path / "a.jsonl"), check=False)
        assert part_a.returncode == 0 and "all invariants hold" in part_a.stdout, part_a.stdout

        rec = Recording(c, tmp_path / "b.jsonl")
        c.run("kill", "redis")
        for f in (c.state_dir / "redis").iterdir():
            subprocess.run(["rm", "-rf", str(f)], check=True)
        c.run("start", "redis")
        wait_until(lambda: "redis lost data" in (c.state_dir / "logs" / "apiserver.log").read_text(), timeout=30,
                   what="the API server noticing the loss")
        wait_until(lambda: _healthy(c) and not _deployments(c), timeout=30, what="the Deployment gone")
        rec.stop()
        part_b = c.run("check", str(tmp_path / "b.jsonl"), check=False)
        assert part_b.returncode == 1, part_b.stdout
        assert "VIOLATION no-lost-writes: Deployment default/web " in part_b.stdout, part_b.stdout
        assert "VIOLATION no-lost-writes: ConfigMap default/record-probe-" in part_b.stdout

        out = c.run("timeline", "--kinds", "component").stdout
        assert missing_in_order(out, expected["redis-restarts"]) == [], out
