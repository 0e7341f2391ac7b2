"""STATE in `kubelab ps` comes from /proc and the records."""

import os
import signal
import subprocess
import sys
import time

from kubelab.cluster import procs
from kubelab.cluster.state import ClusterState, ProcessRecord
from kubelab.api.v1 import coordination_pb2
from kubelab.cluster.status import Row, format_table, lease_valid, state_of


def _state(**recs) -> ClusterState:
    return ClusterState(processes=dict(recs))


def test_live_process_states():
    me = ProcessRecord(pid=os.getpid(), start_time=procs.start_time(os.getpid()))
    state = _state(scheduler=me)
    assert state_of("scheduler", state, set()) == "running"
    assert state_of("scheduler", state, {"scheduler"}) == "partitioned"


def test_dead_process_states():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    started = procs.start_time(p.pid)
    p.wait()
    for desired, shown in (("killed", "killed"), ("stopped", "stopped"), ("running", "exited")):
        state = _state(x=ProcessRecord(pid=p.pid, start_time=started, desired=desired))
        assert state_of("x", state, set()) == shown
    assert state_of("x", _state(x=ProcessRecord()), set()) == "created"


def test_a_reused_pid_is_not_ours():
    me = ProcessRecord(pid=os.getpid(), start_time=procs.start_time(os.getpid()) + 1)
    assert state_of("x", _state(x=me), set()) == "exited"


def test_paused_process():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = procs.start_time(p.pid)
        os.kill(p.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while not procs.is_paused(p.pid, started):  # SIGSTOP takes effect asynchronously
            assert time.monotonic() < deadline, "process never stopped"
            time.sleep(0.01)
        state = _state(x=ProcessRecord(pid=p.pid, start_time=started))
        assert state_of("x", state, {"x"}) == "paused,partitioned"
    finally:
        p.kill()
        p.wait()


def test_table_is_aligned():
    out = format_table([
        Row("apiserver", 12, "running", "SERVING", "-", "127.0.0.1:1"),
        Row("node-1", None, "killed", "-", "-", "127.0.0.1:2"),
    ])
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "PID", "STATE", "HEALTH", "ROLE", "ADDRESS"]
    assert lines[2].split() == ["node-1", "-", "killed", "-", "-", "127.0.0.1:2"]
    assert lines[1].index("running") == lines[2].index("killed") == lines[0].index("STATE")


def test_the_api_servers_http_address_is_shown_beside_its_grpc_one():
    out = format_table([
        Row("apiserver", 12, "running", "SERVING", "-", "127.0.0.1:41234", http="127.0.0.1:41235"),
        Row("scheduler", 13, "running", "SERVING", "leader", "127.0.0.1:41236"),
    ])
    lines = out.splitlines()
    assert lines[1].split() == ["apiserver", "12", "running", "SERVING", "-", "127.0.0.1:41234",
                                "http://127.0.0.1:41235"]
    assert lines[2].split() == ["scheduler", "13", "running", "SERVING", "leader", "127.0.0.1:41236"]
    assert lines[1].index("http://") > lines[0].index("ADDRESS")


def _lease(holder: str, renewed: float, duration: int = 15) -> coordination_pb2.Lease:
    lease = coordination_pb2.Lease()
    lease.spec.holder_identity = holder
    lease.spec.lease_duration_seconds = duration
    lease.spec.renew_time.FromNanoseconds(int(renewed * 1e9))
    return lease


def test_a_lease_is_held_until_its_duration_after_the_last_renewal():
    assert lease_valid(_lease("h_scheduler_1", renewed=100.0), now=114.9)
    assert not lease_valid(_lease("h_scheduler_1", renewed=100.0), now=115.1)
    assert not lease_valid(_lease("", renewed=100.0), now=101.0)  # released
