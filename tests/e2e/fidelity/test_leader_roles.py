"""Issue 12, item 3: `kubelab ps` says `leader` only for the current holder of an unexpired Lease, and
`kubelab up --replicas scheduler=2` runs two schedulers so that the take-over can be tried by hand.

A restarted controller waits for its previous self's Lease to expire (about 15 s) before it leads: until
then it is a standby, though the Lease's holder names the same instance."""
from __future__ import annotations

import json
import time

import pytest

from tests.e2e.cluster import running_cluster

#: ps reads the Lease once a second at best; a take-over takes up to leaseDuration (15 s) plus retries.
TAKE_OVER = 40.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("roles") / "state", 1) as c:
        yield c


def roles(cluster, *names: str) -> dict[str, str]:
    rows = json.loads(cluster.run("ps", "--format", "json", "--timeout", "3").stdout)
    return {r["name"]: r["role"] for r in rows if r["name"] in names}


def wait_roles(cluster, names: tuple[str, ...], pred, what: str, timeout: float = TAKE_OVER) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        seen = roles(cluster, *names)
        if pred(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: ps says {seen}")
        time.sleep(0.5)


def test_a_restarted_controller_is_standby_until_the_old_lease_expires(cluster):
    wait_roles(cluster, ("replicaset",), lambda r: r == {"replicaset": "leader"}, "replicaset to lead")
    cluster.run("kill", "replicaset")
    cluster.run("start", "replicaset")
    assert roles(cluster, "replicaset") == {"replicaset": "standby"}
    wait_roles(cluster, ("replicaset",), lambda r: r == {"replicaset": "leader"}, "the restarted one to lead")


def test_two_schedulers_one_leads_and_the_other_takes_over(cluster):
    bad = cluster.run("up", "-d", "--replicas", "kubelet=2", check=False)
    assert bad.returncode == 1 and "--replicas kubelet=2: kubelets run one per node: use --nodes" in bad.stderr
    cluster.run("up", "-d", "--replicas", "scheduler=2", timeout=120)
    names = ("scheduler", "scheduler-1", "scheduler-2")
    one_leader = wait_roles(cluster, names, lambda r: sorted(r.values()) == ["leader", "standby"],
                            "one leader and one standby")
    assert set(one_leader) == {"scheduler-1", "scheduler-2"}
    leader = next(n for n, r in one_leader.items() if r == "leader")
    other = next(n for n in one_leader if n != leader)
    cluster.run("kill", leader)
    wait_roles(cluster, names, lambda r: r.get(other) == "leader", f"{other} to take over")
    cluster.run("start", leader)
    assert roles(cluster, *names) == {leader: "standby", other: "leader"}
    cluster.run("up", "-d", "--replicas", "scheduler=1", timeout=120)
    wait_roles(cluster, names, lambda r: r == {"scheduler": "leader"}, "the single scheduler to lead")


def process_state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return "gone"


def test_api_server_workers_share_its_address_and_follow_its_verbs(cluster):
    """`up --apiserver-workers 2`: two API server processes behind the one address; ps counts them, and
    pause, resume and kill act on both (services/apiserver/workers.py)."""
    from kubelab.cluster.procs import children
    bad = cluster.run("up", "-d", "--replicas", "apiserver=2", check=False)
    assert bad.returncode == 1 and "use --apiserver-workers N" in bad.stderr
    noted = cluster.run("up", "-d", "--apiserver-workers", "2", timeout=120)
    assert "takes effect when it starts again: kubelab restart apiserver" in noted.stdout + noted.stderr
    cluster.run("restart", "apiserver", timeout=120)
    wait_roles(cluster, ("apiserver",), lambda r: r == {"apiserver": "workers 2/2"}, "two API server workers")
    (row,) = [r for r in json.loads(cluster.run("ps", "--format", "json").stdout) if r["name"] == "apiserver"]
    (worker,) = children(row["pid"])
    assert "node-1" in cluster.run("get", "nodes").stdout

    cluster.run("pause", "apiserver")
    assert process_state(row["pid"]) == "T" and process_state(worker) == "T"
    cluster.run("resume", "apiserver")
    assert process_state(row["pid"]) != "T" and process_state(worker) != "T"
    cluster.run("kill", "apiserver")
    deadline = time.monotonic() + 10
    while process_state(worker) not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_state(worker) in ("gone", "Z"), "worker 1 outlived worker 0"
    cluster.run("start", "apiserver", timeout=120)
    wait_roles(cluster, ("apiserver",), lambda r: r == {"apiserver": "workers 2/2"}, "two workers again")

    cluster.run("up", "-d", "--apiserver-workers", "1", timeout=120)
    cluster.run("restart", "apiserver", timeout=120)
    wait_roles(cluster, ("apiserver",), lambda r: r == {"apiserver": "-"}, "one API server process")
