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
