"""Lab 10 (labs/10-ordered-bring-up): the master/replica store brought up in order with slow clones; the
cloning pod deleted mid-copy (it clones again, the next ordinal waits), a write during a clone (it comes
by the log), the clone's source deleted mid-copy (the init container fails, waits, copies again), with
the outputs and timeline its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster
from tests.labs.labdoc import expected_outputs, expected_timelines, missing_in_order, missing_lines, parse_timeline
from tests.support import wait_until

LAB = "10-ordered-bring-up"
DELAY = "12"   # seconds a clone takes (the lab's 20 s in class)


def _pods(cluster) -> dict[str, dict]:
    items = json.loads(cluster.run("get", "pods", "-l", "app=kv", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p for p in items}


def _ready(pod: dict | None) -> bool:
    return bool(pod) and not pod["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def _clone_log(cluster, pod: str, *args: str) -> str:
    return cluster.run("logs", pod, "-c", "clone-kvstore", *args, check=False).stdout


def _cloning(cluster, pod: str) -> str:
    """The clone log of pod once its copy has begun; fails at once if the copy is already over or skipped
    (the step's command would come too late)."""
    def copying() -> str | None:
        out = _clone_log(cluster, pod)
        assert "copied" not in out and "data already" not in out, \
            f"{pod}'s clone is over before the step could act on it (a {DELAY} s copy):\n{out}"
        return out if "copying" in out else None
    return wait_until(copying, timeout=60, interval=0.2, what=f"{pod} cloning")


def _ready_in_order(cluster, pod: str, nxt: str, timeout: float = 60) -> None:
    """Wait for pod Ready, checking in every snapshot of the pods that nxt does not exist before it is."""
    def check() -> bool:
        pods = _pods(cluster)
        ready = _ready(pods.get(pod))
        assert nxt not in pods or ready, f"{nxt} exists while {pod} is not Ready"
        return ready
    wait_until(check, timeout=timeout, interval=0.2, what=f"{pod} Ready")


@pytest.mark.timeout(300)
def test_lab_10_ordered_bring_up(tmp_path):
    outputs, timelines = expected_outputs(LAB), expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("create", "configmap", "kv-clone", "--from-literal", f"KVSTORE_CLONE_DELAY={DELAY}")
        c.run("apply", "-f", str(ROOT / "examples" / "kvstore" / "kv.yaml"))

        # 1-2: kv-1 deleted while it clones; the new kv-1 clones from scratch, kv-2 waits for it; a write
        # during the new kv-1's copy reaches it by the master's log
        log = _cloning(c, "kv-1")
        assert missing_lines(log, outputs["cloning"]) == [], log
        c.run("delete", "pod", "kv-1")
        _cloning(c, "kv-1")
        assert c.run("exec", "kv-0", "--", "kvstore", "put", "greeting", "hello").stdout.strip() == "OK seq=1"
        _ready_in_order(c, "kv-1", "kv-2")
        kv1_clone = _clone_log(c, "kv-1")   # read now: step 3 replaces this kv-1 (its data stays on its claim)

        # 3: kv-1, the source, deleted while kv-2 clones it: kv-2's init container fails, waits, copies again
        _cloning(c, "kv-2")
        c.run("delete", "pod", "kv-1")
        wait_until(lambda: _ready(_pods(c).get("kv-2")), timeout=90, interval=0.5, what="kv-2 Ready")
        # (step 2's observation: the kv-1 made again here keeps what its claim holds)
        out = kv1_clone + c.run("exec", "kv-1", "--", "kvstore", "get", "greeting").stdout
        assert missing_lines(out, outputs["snapshot-then-log"]) == [], \
            f"the new kv-1 did not clone from seq 0 (the delete came after the copy?):\n{out}"
        previous = _clone_log(c, "kv-2", "--previous")
        assert missing_lines(previous, outputs["source-lost"]) == [], previous
        current = _clone_log(c, "kv-2")
        assert missing_lines(current, outputs["source-back"]) == [], current
        kv2 = _pods(c)["kv-2"]
        restarts = {s["name"]: s.get("restartCount", 0) for s in kv2["status"]["initContainerStatuses"]}
        assert restarts["clone-kvstore"] >= 1 and kv2["status"]["containerStatuses"][0].get("restartCount", 0) == 0

        # 4: the timeline
        out = c.run("timeline", "--kinds", "statefulset,pods", "--since", "10m").stdout
        for name, patterns in timelines.items():
            assert missing_in_order(out, patterns) == [], f"{name}:\n{out}"
        rows = parse_timeline(out)
        serving = min(i for i, r in enumerate(rows) if r[1] == "Pod/kv-1" and "Started container kvstore" in r[2])
        create2 = min(i for i, r in enumerate(rows) if "create Pod kv-2 in StatefulSet" in r[2])
        assert serving < create2, rows[create2:serving + 1]
