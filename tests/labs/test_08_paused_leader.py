"""Lab 8 (labs/08-paused-leader): its steps on a real cluster, the record's check, and the timeline its
README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order
from tests.labs.test_05_redis_lost import Recording

LAB = "08-paused-leader"


def _roles(cluster) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads(cluster.run("ps", "--format", "json").stdout)
            if r["name"].startswith("scheduler-")}


def _scheduled(cluster) -> bool:
    pods = json.loads(cluster.run("get", "pods", "-l", "lab=08", "-o", "json").stdout)["items"]
    return len(pods) == 3 and all(p["spec"].get("nodeName") for p in pods)


@pytest.mark.timeout(120)
def test_lab_08_paused_leader(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path, up_args=("--replicas", "scheduler=2")) as c:
        leader = wait_until(lambda: next((n for n, r in _roles(c).items() if r["role"] == "leader"), None),
                            timeout=30, what="a leading scheduler")
        standby = next(n for n in _roles(c) if n != leader)
        rec = Recording(c, tmp_path / "lab8.jsonl")
        c.run("pause", leader)
        assert _roles(c)[leader]["state"] == "paused"
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "pods.yaml"))
        wait_until(lambda: _scheduled(c), timeout=60, what="the pods scheduled by the standby")
        assert _roles(c)[standby]["role"] == "leader"
        c.run("resume", leader)
        wait_until(lambda: _roles(c)[leader]["role"] == "standby", timeout=30, what="the old leader a standby")
        rec.stop()
        check = c.run("check", str(tmp_path / "lab8.jsonl"), check=False)
        assert check.returncode == 0 and "all invariants hold" in check.stdout, check.stdout

        out = c.run("timeline", "--kinds", "lease,component", "--since", "5m").stdout
        assert missing_in_order(out, expected["takeover"]) == [], out
        stopped = [line for line in out.splitlines() if "stopped leading" in line][-1]
        identity = c.run("get", "lease", "scheduler", "-n", "kube-system", "-o", "json").stdout
        assert json.loads(identity)["spec"]["holderIdentity"] not in stopped  # the one that stepped down
