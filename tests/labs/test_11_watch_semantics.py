"""Lab 11 (labs/11-watch-semantics): resume from a resourceVersion, 410 Gone once the history has moved
on, relist and go on, with the outputs its README promises."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster
from tests.labs.labdoc import LABS, expected_outputs, missing_lines
from tests.support import wait_until

LAB = "11-watch-semantics"
WATCH = [sys.executable, str(LABS / LAB / "watch.py")]


def _watch(cluster, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WATCH, "--state-dir", str(cluster.state_dir), *args], env=cluster.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.timeout(150)
def test_lab_11_watch_semantics(tmp_path):
    outputs = expected_outputs(LAB)
    with lab_cluster(tmp_path, nodes=1, env={"KUBELAB_HISTORY": "300"}) as c:
        c.run("create", "configmap", "a", "--from-literal", "k=1")
        rv = c.run("get", "cm", "a", "-o", "jsonpath={.metadata.resourceVersion}").stdout.strip()
        c.run("create", "configmap", "b", "--from-literal", "k=1")
        resumed = _watch(c, "configmaps", "--from", rv, "--count", "1")
        assert missing_lines(resumed.stdout, outputs["resume"]) == [], resumed.stdout

        def too_old() -> subprocess.CompletedProcess | None:
            r = _watch(c, "configmaps", "--from", rv, "--count", "1")
            return r if "410 Gone" in r.stdout else None
        gone = wait_until(too_old, timeout=90, interval=2, what="the history to move past the configmap's rv")
        assert gone.returncode == 1 and missing_lines(gone.stdout, outputs["too-old"]) == [], gone.stdout

        relist = subprocess.Popen([*WATCH, "--state-dir", str(c.state_dir), "configmaps", "--from", rv, "--relist",
                                   "--count", "1"], env=c.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            lines = []
            deadline = time.monotonic() + 30
            while not any(line.startswith("LIST") for line in lines) and time.monotonic() < deadline:
                lines.append(relist.stdout.readline())
            c.run("create", "configmap", "c", "--from-literal", "k=1")
            rest, _ = relist.communicate(timeout=30)
        finally:
            relist.kill()
        out = "".join(lines) + rest
        assert missing_lines(out, outputs["relist"]) == [], out
