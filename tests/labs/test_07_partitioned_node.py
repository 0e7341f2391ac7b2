"""Lab 7 (labs/07-partitioned-node): its steps on a real cluster: the split brain, the disk's fencing,
and the timeline its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order

LAB = "07-partitioned-node"
FAST_NODES = {"KUBELAB_NODE_MONITOR_GRACE_PERIOD": "5", "KUBELAB_NODE_MONITOR_PERIOD": "1",
              "KUBELAB_HEARTBEAT_INTERVAL": "1"}


def _db(cluster) -> dict | None:
    items = json.loads(cluster.run("get", "pods", "-l", "app=db", "-o", "json").stdout)["items"]
    return items[0] if items else None


def _log(cluster) -> list[tuple[int, str]]:
    """(time, node) of each line the pod wrote to its disk."""
    files = list((cluster.state_dir / "disks").glob("*/log"))
    if not files:
        return []
    return [(int(t), node) for t, _, node in (line.split() for line in files[0].read_text().splitlines()
                                              if len(line.split()) == 3)]


@pytest.mark.timeout(150)
def test_lab_07_partitioned_node(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path, env=FAST_NODES) as c:
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "db.yaml"))
        wait_until(lambda: (lambda p: p and p["spec"].get("nodeName") == "node-2" and
                            p["status"].get("phase") == "Running")(_db(c)), timeout=60, what="db-0 Running on node-2")
        wait_until(lambda: len(_log(c)) >= 2, timeout=30, what="db-0 writing to its disk")
        c.run("partition", "node-2")
        rows = json.loads(c.run("ps", "--format", "json").stdout)
        assert any(r["name"] == "node-2" and "partitioned" in r["state"] for r in rows)
        wait_until(lambda: (_db(c) or {}).get("metadata", {}).get("deletionTimestamp"), timeout=60,
                   what="db-0 evicted (Terminating)")
        c.run("delete", "pod", "db-0", "--grace-period=0", "--force")
        forced = max(t for t, _ in _log(c))
        wait_until(lambda: "Multi-Attach error" in c.run("describe", "pod", "db-0").stdout, timeout=30,
                   what="the new db-0's Multi-Attach error")
        assert (_db(c) or {})["spec"]["nodeName"] == "node-1"
        wait_until(lambda: max(t for t, _ in _log(c)) >= forced + 2, timeout=20, what="the orphan still writing")
        assert {n for _, n in _log(c)} == {"node-2"}  # fenced: node-1's db-0 has not written a line
        c.run("heal", "node-2")
        wait_until(lambda: (_db(c) or {}).get("status", {}).get("phase") == "Running", timeout=60,
                   what="db-0 Running on node-1")
        wait_until(lambda: [n for _, n in _log(c)].count("node-1") >= 2, timeout=30, what="node-1 writing")
        nodes = [n for _, n in _log(c)]
        first = nodes.index("node-1")
        assert "node-2" not in nodes[first:], nodes  # never interleaved

        out = c.run("timeline", "-l", "lab=07", "--since", "10m").stdout
        assert missing_in_order(out, expected["fenced-by-the-disk"]) == [], out
