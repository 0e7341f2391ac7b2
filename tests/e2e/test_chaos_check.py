"""`kubelab record` + `kubelab chaos` + `kubelab check` on a real cluster with a fixed seed: the schedule
is printed and replayable, the cluster ends healed, and the recorded history keeps every invariant."""
from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.e2e.cluster import KUBELAB, ROOT
from tests.labs.conftest import lab_cluster, wait_until

WORKLOAD = ROOT / "labs" / "12-chaos-and-checking" / "workload.yaml"
CHAOS = ("chaos", "--seed", "7", "--duration", "25s", "--hold", "2-4",
         "--targets", "scheduler,replicaset,statefulset,provisioner,lifecycle,node-1,node-2")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with lab_cluster(tmp_path_factory.mktemp("chaos")) as c:
        yield c


def _ready(cluster, *selectors: str) -> bool:
    for sel in selectors:
        out = cluster.run("get", "pods", "-l", sel, "-o", "json", check=False).stdout
        pods = json.loads(out or '{"items": []}')["items"]
        if not pods or not all(any(c["type"] == "Ready" and c["status"] == "True"
                                   for c in p.get("status", {}).get("conditions", [])) for p in pods):
            return False
    return True


@pytest.mark.timeout(150)
def test_chaos_with_a_fixed_seed_keeps_every_invariant(cluster, tmp_path):
    cluster.run("apply", "-f", str(WORKLOAD))
    wait_until(lambda: _ready(cluster, "app=db", "app=front"), timeout=60, what="db and front Ready")
    dry = cluster.run(*CHAOS, "--dry-run").stdout
    assert dry == cluster.run(*CHAOS, "--dry-run").stdout  # the same seed, the same schedule
    assert "chaos seed=7" in dry and len(dry.splitlines()) > 2

    history = tmp_path / "history.jsonl"
    recorder = subprocess.Popen([*KUBELAB, "--state-dir", str(cluster.state_dir), "record", str(history)],
                                env=cluster.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: history.exists() and history.read_text().count('"initial"') >= 10, timeout=20,
                   what="the recorder's initial lists")
        chaos = cluster.run(*CHAOS, timeout=120).stdout
        cluster.run("rollout", "restart", "deployment/front")  # a rollout during the recording, to surge
        wait_until(lambda: _ready(cluster, "app=db", "app=front"), timeout=60, what="db and front Ready again")
    finally:
        recorder.send_signal(signal.SIGINT)
        out, err = recorder.communicate(timeout=30)
    assert recorder.returncode == 0, err
    assert chaos.startswith(dry)  # the schedule printed, then carried out
    assert chaos.rstrip().endswith("everything healed")
    rows = json.loads(cluster.run("ps", "--format", "json", "--timeout", "3").stdout)
    assert all(r["state"] == "running" for r in rows), rows

    check = cluster.run("check", str(history), check=False)
    assert check.returncode == 0, check.stdout
    assert "all invariants hold" in check.stdout
    types = [json.loads(line)["type"] for line in history.read_text().splitlines()]
    assert types[0] == "HEADER" and types[-1] == "END" and "ACK" in types and "MODIFIED" in types
