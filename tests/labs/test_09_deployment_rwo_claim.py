"""Lab 9 (labs/09-deployment-rwo-claim): the seed's Deployment on one RWO claim: Multi-Attach on the stuck
pods, a rolling update that deadlocks and a Recreate that gets through, and the README's timelines."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order

LAB = "09-deployment-rwo-claim"
SEED = ROOT / "examples" / "seed"
DEPLOY = "deployment/random-number-generator"


def _pods(cluster) -> list[dict]:
    out = cluster.run("get", "pods", "-l", "app=random-number-generator", "-o", "json").stdout
    return [p for p in json.loads(out)["items"] if not p["metadata"].get("deletionTimestamp")]


@pytest.mark.timeout(150)
def test_lab_09_deployment_rwo_claim(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path, nodes=3) as c:
        c.run("apply", "-f", str(SEED / "sc-definition.yaml"), "-f", str(SEED / "pvc-definition.yaml"),
              "-f", str(SEED / "deploy-random-number-generator.yaml"))
        c.run("rollout", "status", DEPLOY, "--timeout", "60s")
        first = _pods(c)[0]["spec"]["nodeName"]
        c.run("scale", DEPLOY, "--replicas", "3")
        wait_until(lambda: len(_pods(c)) == 3 and all(p["spec"].get("nodeName") for p in _pods(c)), timeout=30,
                   what="3 pods scheduled")
        elsewhere = [p["metadata"]["name"] for p in _pods(c) if p["spec"]["nodeName"] != first]
        for name in elsewhere:
            wait_until(lambda: "Multi-Attach error" in c.run("describe", "pod", name).stdout, timeout=30,
                       what=f"{name}'s Multi-Attach error")
        assert all(p["status"].get("phase") == "Pending" for p in _pods(c) if p["metadata"]["name"] in elsewhere)

        c.run("scale", DEPLOY, "--replicas", "1")
        wait_until(lambda: len(_pods(c)) == 1 and _pods(c)[0]["status"].get("phase") == "Running", timeout=60,
                   what="one pod Running")
        node = _pods(c)[0]["spec"]["nodeName"]
        c.run("cordon", node)
        c.run("apply", "-f", str(SEED / "rolling-update"))
        stuck = c.run("rollout", "status", DEPLOY, "--timeout", "10s", check=False)
        assert stuck.returncode == 1 and "timed out waiting for the condition" in stuck.stderr, stuck.stderr
        c.run("apply", "-f", str(SEED / "recreate"))
        c.run("rollout", "status", DEPLOY, "--timeout", "90s", timeout=100)
        assert _pods(c)[0]["spec"]["nodeName"] != node
        c.run("uncordon", node)

        out = c.run("timeline", "--kinds", "deployment,pod", "--since", "10m").stdout
        for name in ("multi-attach", "recreate"):
            assert missing_in_order(out, expected[name]) == [], f"{name}:\n{out}"
