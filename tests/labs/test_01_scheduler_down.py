"""Lab 1 (labs/01-scheduler-down): its steps on a real cluster, and the timeline its README promises."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.e2e.cluster import KUBELAB, ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order

LAB = "01-scheduler-down"


def _pods(cluster) -> list[dict]:
    return json.loads(cluster.run("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]


def _running(cluster, n: int) -> bool:
    pods = _pods(cluster)
    return len(pods) == n and all(p.get("status", {}).get("phase") == "Running" for p in pods)


@pytest.mark.timeout(120)
def test_lab_01_scheduler_down(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "web.yaml"))
        wait_until(lambda: _running(c, 2), timeout=60, what="2 web pods Running")
        live = subprocess.Popen([*KUBELAB, "--state-dir", str(c.state_dir), "timeline", "-w", "-l", "app=web"],
                                env=c.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                # Ctrl-C as at a terminal: pytest-xdist workers ignore SIGINT, and an
                                # ignored SIGINT is inherited (Python then never raises KeyboardInterrupt)
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        first = live.stdout.readline()  # the past is printed: what follows comes from the watches
        assert "Component/" in first, first
        c.run("kill", "scheduler")
        assert any(r["name"] == "scheduler" and r["state"] == "killed"
                   for r in json.loads(c.run("ps", "--format", "json").stdout))
        c.run("scale", "deployment", "web", "--replicas", "4")
        wait_until(lambda: len(_pods(c)) == 4, timeout=30, what="4 web pods")
        # Step 3: the new pods stay Pending with no node, and no component writes a word about them.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            pending = [p for p in _pods(c) if not p["spec"].get("nodeName")]
            assert len(pending) == 2 and all(p["status"].get("phase") == "Pending" for p in pending)
            time.sleep(0.5)
        for p in pending:
            described = c.run("describe", "pod", p["metadata"]["name"]).stdout
            assert "FailedScheduling" not in described and "Scheduled" not in described
        c.run("start", "scheduler")
        wait_until(lambda: _running(c, 4), timeout=60, what="4 web pods Running after the scheduler's start")

        live.send_signal(signal.SIGINT)
        followed, _ = live.communicate(timeout=60)
        followed = first + followed
        # `timeline -w` saw the same story as it happened (step 6's tip).
        assert missing_in_order(followed, expected["scheduling-resumes"]) == [], followed
        scheduling = c.run("timeline", "-l", "app=web", "--since", "5m").stdout
        assert missing_in_order(scheduling, expected["scheduling-resumes"]) == [], scheduling
        leader = c.run("timeline", "--kinds", "lease,component").stdout
        assert missing_in_order(leader, expected["leader-after-start"]) == [], leader
