"""Each lab runs on its own real cluster (`kubelab up -d`), with the timings the lab's README gives for
tests (shorter leases, a shorter node monitor grace period), passed as the components' environment."""
from __future__ import annotations

import contextlib

import pytest

from kubelab.client import Client
from tests import support
from tests.e2e.cluster import FAST_LEASES, Cluster, running_cluster

#: Seconds between the polls of a wait that runs a `kubelab` command each time, each a process start (0.2 s,
#: 0.1 s of it CPU). At wait_until's default 20 ms, meant for checks made in the test's process, lab 3 ran
#: one after the other, about 165 in a run; at 0.25 s half as many, 9 s of CPU less of its 39 s, left to
#: the clusters of the other workers. A quarter of a second adds at most that much to a wait.
CLI_POLL = 0.25


def wait_until(cond, timeout: float = 10.0, interval: float = CLI_POLL, what: str = "condition"):
    """tests.support.wait_until, polled every CLI_POLL: a lab's conditions run a `kubelab` command or read
    what the cluster writes, so a quarter second between polls spares the machine and adds at most that."""
    return support.wait_until(cond, timeout, interval, what)


@contextlib.contextmanager
def lab_cluster(tmp_path, nodes: int = 2, env: dict[str, str] | None = None, up_args: tuple[str, ...] = ()):
    extra = {**FAST_LEASES, **(env or {})}

    class LabCluster(Cluster):
        def __init__(self, state_dir):
            super().__init__(state_dir)
            self.env.update(extra)

        def run(self, *args, **kw):
            if args[:1] == ("up",):
                args = (*args, *up_args)
            return super().run(*args, **kw)

    with running_cluster(tmp_path / "state", nodes, LabCluster) as c:
        yield c


@pytest.fixture
async def api():
    """An API client factory: `async with api(cluster) as client`."""
    clients = []

    def make(cluster) -> Client:
        c = Client(cluster.apiserver, retry_deadline=30)
        clients.append(c)
        return c
    yield make
    for c in clients:
        await c.close()
