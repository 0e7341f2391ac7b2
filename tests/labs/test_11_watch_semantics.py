"""Lab 11 (labs/11-watch-semantics): bookmarks on a quiet watch, resume from a resourceVersion, 410 Gone once
the history has moved on, resume from a bookmark instead, relist and go on, a slow watcher cut off and
resuming, with the outputs its README promises."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from tests.e2e.cluster import ROOT
from tests.labs.conftest import lab_cluster
from tests.labs.labdoc import LABS, expected_outputs, missing_lines
from tests.support import wait_until

LAB = "11-watch-semantics"
WATCH = [sys.executable, str(LABS / LAB / "watch.py")]
ENV = {"KUBELAB_HISTORY": "200", "KUBELAB_BOOKMARK_INTERVAL": "5", "KUBELAB_WATCH_QUEUE": "10"}


def _watch(cluster, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WATCH, "--state-dir", str(cluster.state_dir), *args], env=cluster.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


class _Watcher:
    """watch.py in the background (the lab's second terminal), its lines collected as they come."""

    def __init__(self, cluster, *args: str):
        self.proc = subprocess.Popen([*WATCH, "--state-dir", str(cluster.state_dir), *args], env=cluster.env,
                                     cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")),
                                        daemon=True)
        self._reader.start()
        wait_until(lambda: any(line.startswith("LIST") for line in self.lines), timeout=30, what="the watcher's LIST")

    @property
    def out(self) -> str:
        return "".join(self.lines)

    def finish(self, timeout: float) -> str:
        """Its whole output once it has stopped by itself (--count)."""
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        return self.out

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)


@pytest.mark.timeout(150)
def test_lab_11_watch_semantics(tmp_path):
    outputs = expected_outputs(LAB)
    with lab_cluster(tmp_path, nodes=1, env=ENV) as c:
        quiet = _Watcher(c, "configmaps", "--bookmarks")
        try:
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
        finally:
            quiet.stop()
        out = quiet.out
        assert missing_lines(out, outputs["bookmarks"]) == [], out
        bookmarks = [int(r) for r in re.findall(r"^BOOKMARK rv=(\d+)$", out, re.M)]
        assert bookmarks and bookmarks == sorted(set(bookmarks)) and bookmarks[0] > int(rv), out
        last_event = int(re.findall(r"^ADDED rv=(\d+) b$", out, re.M)[-1])
        assert bookmarks[-1] > last_event, out
        from_bookmark = _watch(c, "configmaps", "--from", str(bookmarks[-1]), "--bookmarks", "--count", "1")
        assert from_bookmark.returncode == 0 and "410" not in from_bookmark.stdout, from_bookmark.stdout
        assert missing_lines(from_bookmark.stdout, outputs["from-bookmark"]) == [], from_bookmark.stdout

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

        slow = _Watcher(c, "configmaps", "--slow", "0.2", "--count", "50")
        c.run("apply", "-f", str(LABS / LAB / "burst.yaml"))
        out = slow.finish(timeout=60)
        assert missing_lines(out, outputs["cut-off"]) == [], out
        names = re.findall(r"^ADDED rv=\d+ (\S+)$", out, re.M)
        assert names == [f"burst-{i}" for i in range(1, 51)], out
