"""Lab 2 (labs/02-storage-controller-down): its steps on a real cluster, and the timeline its README promises."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_timelines, missing_in_order, parse_timeline

LAB = "02-storage-controller-down"


def _get(cluster, *what: str) -> dict:
    return json.loads(cluster.run("get", *what, "-o", "json").stdout)


@pytest.mark.timeout(120)
def test_lab_02_storage_controller_down(tmp_path):
    expected = expected_timelines(LAB)
    with lab_cluster(tmp_path, env={"KUBELAB_BIND_TIMEOUT": "6"}) as c:
        c.run("kill", "provisioner")
        c.run("apply", "-f", str(ROOT / "labs" / LAB / "app.yaml"))
        # Step 2: the scheduler has chosen a node and written it on the claim, which stays Pending.
        claim = wait_until(lambda: (lambda p: p if "volume.kubernetes.io/selected-node" in
                                    p["metadata"].get("annotations", {}) else None)(_get(c, "pvc", "data")),
                           timeout=30, what="the selected-node annotation")
        assert claim["status"]["phase"] == "Pending"
        assert _get(c, "pod", "app")["status"]["phase"] == "Pending"
        # Step 3: the PreBind timeout, reported on the pod.
        wait_until(lambda: "context deadline exceeded" in c.run("describe", "pod", "app").stdout, timeout=40,
                   what="FailedScheduling after the bind timeout")
        c.run("start", "provisioner")
        wait_until(lambda: _get(c, "pvc", "data")["status"].get("phase") == "Bound", timeout=60, what="claim Bound")
        wait_until(lambda: _get(c, "pod", "app")["status"].get("phase") == "Running", timeout=60, what="app Running")
        pod, claim = _get(c, "pod", "app"), _get(c, "pvc", "data")
        assert pod["spec"]["nodeName"] == claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"]

        out = c.run("timeline", "-l", "lab=02", "--since", "10m").stdout
        assert missing_in_order(out, expected["prebind-timeout-and-recovery"]) == [], out
        rows = parse_timeline(out)
        killed = next(i for i, r in enumerate(rows) if r[1] == "Component/provisioner" and r[2].startswith("killed"))
        started = rows.index(("kubelab", "Component/provisioner", "started"), killed)
        assert not [r for r in rows[killed:started] if r[1].startswith("PersistentVolumeClaim/")
                    and r[2].startswith(("Normal ", "Warning "))], rows[killed:started]
