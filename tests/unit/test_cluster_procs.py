"""Process identity, signalling and the sweep of a cluster's leftovers."""

import os
import subprocess
import sys

from kubelab.cluster import procs
from tests.support import wait_until


def test_spawn_records_identity_and_terminate_ends_it(tmp_path):
    log = tmp_path / "x.log"
    pid, started = procs.spawn([sys.executable, "-c", "print('hello', flush=True); import time; time.sleep(60)"],
                               env=dict(os.environ), log=log)
    assert procs.is_alive(pid, started) and not procs.is_alive(pid, started + 1)
    assert os.getsid(pid) == pid  # its own session: a terminal's Ctrl-C does not reach it
    wait_until(lambda: "hello" in log.read_text(), 20, what="the child's output in its log")
    procs.terminate([(pid, started)], grace=5)
    assert not procs.is_alive(pid, started)


def test_leftovers_are_marked_processes_and_their_sessions(tmp_path):
    env = {**os.environ, "KUBELAB_STATE_DIR": str(tmp_path), "KUBELAB_COMPONENT": "node-1"}
    # a "shim" in a session of its own, with a "container" child that has a clean environment
    shim = subprocess.Popen(
        [sys.executable, "-c", "import subprocess; subprocess.run(['env', '-i', 'sleep', '60'])"],
        env=env, start_new_session=True,
    )
    other = subprocess.Popen(["sleep", "60"], env={**env, "KUBELAB_STATE_DIR": str(tmp_path / "other")})
    try:
        found = wait_until(lambda: (lambda pids: len(pids) == 2 and pids)(
            {pid for pid, _ in procs.cluster_leftovers(tmp_path)}), 20, what="the shim and its container")
        assert shim.pid in found and other.pid not in found
        procs.terminate(procs.cluster_leftovers(tmp_path), grace=5, group=False)
        assert procs.cluster_leftovers(tmp_path) == []
    finally:
        for p in (shim, other):
            p.kill()
            p.wait()
