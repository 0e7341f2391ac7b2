"""Lab 6 (labs/06-node-dies): its steps on a real cluster, and the timelines its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order

LAB = "06-node-dies"
FAST_NODES = {"KUBELAB_NODE_MONITOR_GRACE_PERIOD": "5", "KUBELAB_NODE_MONITOR_PERIOD": "1",
              "KUBELAB_HEARTBEAT_INTERVAL": "1"}


def _pods(cluster) -> dict[str, dict]:
    items = json.loads(cluster.run("get", "pods", "-l", "lab=06", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p for p in items}


def _running_on(pods: dict[str, dict], node: str) -> list[str]:
    return sorted(n for n, p in pods.items() if p["spec"].get("nodeName") == node
                  and p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


@pytest.mark.timeout(150)
def test_lab_06_node_dies(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path, env=FAST_NODES) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "workloads.yaml"))
        wait_until(lambda: len(_running_on(_pods(c), "node-2")) == 3, timeout=60, what="3 pods Running on node-2")
        c.run("kill", "node-2")
        wait_until(lambda: "NotReady" in c.run("get", "node", "node-2").stdout, timeout=30, what="node-2 NotReady")
        described = c.run("describe", "node", "node-2").stdout
        assert "node.kubernetes.io/unreachable:NoExecute" in described
        assert "Kubelet stopped posting node status." in described
        # After tolerationSeconds: all three Terminating, Deployment replaced on node-1, no second db-0.
        wait_until(lambda: all(p["metadata"].get("deletionTimestamp") for n, p in _pods(c).items()
                               if p["spec"].get("nodeName") == "node-2") and
                   len([n for n in _running_on(_pods(c), "node-1") if n.startswith("front-")]) == 2,
                   timeout=60, what="node-2's pods Terminating and front replaced on node-1")
        pods = _pods(c)
        assert pods["db-0"]["spec"]["nodeName"] == "node-2" and pods["db-0"]["metadata"].get("deletionTimestamp")
        assert "TaintManagerEviction" in c.run("describe", "pod", "db-0").stdout
        c.run("delete", "pod", "db-0", "--grace-period=0", "--force")
        wait_until(lambda: "db-0" in _running_on(_pods(c), "node-1"), timeout=60, what="a new db-0 on node-1")

        out = c.run("timeline", "-l", "lab=06", "--since", "10m").stdout
        for name in ("deployment-replaced", "statefulset-waits"):
            assert missing_in_order(out, expected[name]) == [], f"{name}:\n{out}"
        c.run("start", "node-2")
        wait_until(lambda: not [n for n, p in _pods(c).items() if p["spec"].get("nodeName") == "node-2"],
                   timeout=60, what="node-2's terminating pods confirmed and gone")
