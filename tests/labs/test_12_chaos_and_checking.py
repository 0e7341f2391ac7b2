"""Lab 12 (labs/12-chaos-and-checking): a short seeded chaos run the record shows was survived, then a
force delete during a partition that `check` reports with its evidence, as the README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_outputs, expected_timelines, missing_in_order, missing_lines
from tests.labs.test_05_redis_lost import Recording

LAB = "12-chaos-and-checking"
FAST_NODES = {"KUBELAB_NODE_MONITOR_GRACE_PERIOD": "5", "KUBELAB_NODE_MONITOR_PERIOD": "1",
              "KUBELAB_HEARTBEAT_INTERVAL": "1"}
CHAOS = ("chaos", "--seed", "7", "--duration", "12s", "--hold", "2-3", "--faults", "kill,pause,restart",
         "--targets", "scheduler,replicaset,statefulset")


def _all_ready(cluster) -> bool:
    pods = json.loads(cluster.run("get", "pods", "-o", "json").stdout)["items"]
    return len(pods) == 6 and all(p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
                                  for p in pods)


def _member(cluster) -> dict:
    return json.loads(cluster.run("get", "pod", "member-0", "-o", "json", check=False).stdout or "{}")


@pytest.mark.timeout(150)
def test_lab_12_chaos_and_checking(tmp_path):
    timelines, outputs = expected_timelines(LAB), expected_outputs(LAB)
    with lab_cluster(tmp_path, env=FAST_NODES) as c:
        for f in ("workload.yaml", "member.yaml"):
            c.run("apply", "-f", str(ROOT / "labs" / LAB / f))
        wait_until(lambda: _all_ready(c), timeout=60, what="db, front and member Running")
        assert _member(c)["spec"]["nodeName"] == "node-2"
        rec = Recording(c, tmp_path / "lab12.jsonl")
        assert c.run(*CHAOS, "--dry-run").stdout == c.run(*CHAOS, "--dry-run").stdout
        assert c.run(*CHAOS).stdout.rstrip().endswith("everything healed")
        wait_until(lambda: _all_ready(c), timeout=60, what="everything Running after the chaos")

        c.run("partition", "node-2")
        wait_until(lambda: "NotReady" in c.run("get", "node", "node-2").stdout, timeout=30, what="node-2 NotReady")
        c.run("delete", "pod", "member-0", "--grace-period=0", "--force")
        wait_until(lambda: (lambda p: p.get("spec", {}).get("nodeName") == "node-1" and
                            p["status"].get("phase") == "Running")(_member(c)), timeout=60,
                   what="a second member-0 Running on node-1")
        c.run("heal", "node-2")
        wait_until(lambda: "NotReady" not in c.run("get", "node", "node-2").stdout, timeout=30, what="node-2 Ready")
        rec.stop()

        check = c.run("check", str(tmp_path / "lab12.jsonl"), check=False)
        assert check.returncode == 1
        assert missing_lines(check.stdout, outputs["check"]) == [], check.stdout
        out = c.run("timeline", "-l", "lab=12", "--since", "10m").stdout
        assert missing_in_order(out, timelines["the-break"]) == [], out
