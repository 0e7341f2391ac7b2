"""Lab 3 (labs/03-controller-killed-midway): its steps on a real cluster, and the timeline its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import CLI_POLL, lab_cluster
from tests.labs.labdoc import expected_timelines, missing_in_order, parse_timeline
from tests.support import wait_until

LAB = "03-controller-killed-midway"


def _pods(cluster) -> dict[str, dict]:
    items = json.loads(cluster.run("get", "pods", "-l", "app=db", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p for p in items}


def _ready(pod: dict | None) -> bool:
    return bool(pod) and any(c["type"] == "Ready" and c["status"] == "True"
                             for c in pod.get("status", {}).get("conditions", []))


def _revision(pod: dict) -> str:
    return pod["metadata"].get("labels", {}).get("controller-revision-hash", "")


@pytest.mark.timeout(200)
def test_lab_03_controller_killed_midway(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "db.yaml"))
        wait_until(lambda: _ready(_pods(c).get("db-0")), timeout=60, interval=CLI_POLL, what="db-0 Ready")
        c.run("scale", "statefulset", "db", "--replicas", "4")
        wait_until(lambda: "db-1" in _pods(c), timeout=30, interval=CLI_POLL, what="db-1 created")
        c.run("kill", "statefulset")
        wait_until(lambda: _ready(_pods(c).get("db-1")), timeout=30, interval=CLI_POLL, what="db-1 Ready")
        assert "db-2" not in _pods(c), "db-2 was created before the kill: the kill came too late"
        c.run("start", "statefulset")
        wait_until(lambda: all(_ready(_pods(c).get(f"db-{i}")) for i in range(4)), timeout=60, interval=CLI_POLL,
                   what="db-0..3 Ready")

        old = _revision(_pods(c)["db-0"])
        c.run("rollout", "restart", "statefulset/db")
        wait_until(lambda: (lambda p: p and _revision(p) != old)(_pods(c).get("db-3")), timeout=30,
                   interval=CLI_POLL, what="db-3 re-created on the new revision")
        c.run("kill", "statefulset")
        pods = _pods(c)
        assert [n for n in ("db-0", "db-1", "db-2") if _revision(pods[n]) == old] == ["db-0", "db-1", "db-2"]
        c.run("start", "statefulset")
        c.run("rollout", "status", "statefulset/db", "--timeout", "90s", timeout=100)
        assert len({_revision(p) for p in _pods(c).values()} - {old}) == 1

        out = c.run("timeline", "--kinds", "statefulset,component", "--since", "10m").stdout
        for name in ("scale-up-resumes", "update-resumes"):
            assert missing_in_order(out, expected[name]) == [], f"{name}:\n{out}"
        rows = parse_timeline(out)
        killed = next(i for i, r in enumerate(rows) if r[1] == "Component/statefulset" and r[2].startswith("killed"))
        started = next(i for i, r in enumerate(rows) if i > killed and r[1] == "Component/statefulset"
                       and r[2] == "started")
        assert not [r for r in rows[killed:started] if r[0] == "statefulset-controller"], rows[killed:started]
