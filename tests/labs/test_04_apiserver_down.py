"""Lab 4 (labs/04-apiserver-down): its steps on a real cluster, and the timeline its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order, parse_timeline

LAB = "04-apiserver-down"


def _pods(cluster) -> dict[str, dict]:
    items = json.loads(cluster.run("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p for p in items}


def _health(cluster) -> dict[str, str]:
    return {r["name"]: r["health"] for r in json.loads(cluster.run("ps", "--format", "json").stdout)}


def _running(pods: dict[str, dict]) -> bool:
    return len(pods) == 2 and all(p["status"].get("phase") == "Running" for p in pods.values())


@pytest.mark.timeout(120)
def test_lab_04_apiserver_down(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "web.yaml"))
        before = wait_until(lambda: (lambda p: p if _running(p) else None)(_pods(c)), timeout=60, what="web Running")
        c.run("kill", "apiserver")
        refused = c.run("get", "pods", check=False)
        assert refused.returncode == 1 and "was refused - did you specify the right host or port?" in refused.stderr
        wait_until(lambda: (lambda h: h["node-1"] == "NOT_SERVING" and h["scheduler"] == "NOT_SERVING")(_health(c)),
                   timeout=30, what="components NOT_SERVING")
        c.run("start", "apiserver")
        wait_until(lambda: all(v == "SERVING" for k, v in _health(c).items() if k not in ("redis", "proxy")),
                   timeout=60, what="every component SERVING again")
        after = _pods(c)
        assert {n: (p["metadata"]["uid"], p["spec"]["nodeName"]) for n, p in after.items()} == \
            {n: (p["metadata"]["uid"], p["spec"]["nodeName"]) for n, p in before.items()}
        assert all(s.get("restartCount", 0) == 0 for p in after.values() for s in p["status"]["containerStatuses"])

        out = c.run("timeline", "--since", "5m", "--kinds", "component,pod").stdout
        assert missing_in_order(out, expected["down-and-back"]) == [], out
        rows = parse_timeline(out)
        started = max(i for i, r in enumerate(rows) if r[1] == "Component/apiserver" and r[2] == "started")
        assert not [r for r in rows[started:] if r[2].startswith(("Normal Started", "created"))], rows[started:]
