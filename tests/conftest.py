"""The suite runs in parallel (README: `pytest -n 3 --dist loadgroup`). Tests are grouped so that one
worker runs all the tests of a module (its module-scoped cluster or API server starts once) or of a package
with a package-scoped fixture (tests/e2e/scheduler's cluster); a test may name a group itself
(`@pytest.mark.xdist_group(...)`). What tests share on this machine is made safe elsewhere: ports are
leased (kubelab.cluster.ports), address ranges held (tests.support.host_ranges), kernel objects and
state dirs named after the cluster id and the test's temp dir.

The groups go to the workers longest first (the classic longest-processing-time rule), so that no
worker is left running a long lab alone at the end: xdist would order them by their number of tests,
which puts the one-test labs (a minute each) last. A group's length is estimated from where it lives
(a cluster's start, then each test) and its number of tests.
"""
import fnmatch
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what holds, not how fast: hypothesis' default 200 ms per example and its
# too-slow data check are timing assertions that a loaded CI machine fails at random (test_labels did).
settings.register_profile("kubelab", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kubelab")

#: Rough seconds per group, by the first pattern its name matches: (once per group, per test).
GROUP_COST = [("tests/labs/test_[0-9]*", (30.0, 45.0)), ("tests/e2e/*", (15.0, 12.0)),
              ("tests/integration/*", (3.0, 2.0)), ("*", (0.0, 0.05))]


def _group(item) -> str:
    for defs in item._fixtureinfo.name2fixturedefs.values():
        if defs[-1].scope == "package":
            return defs[-1].baseid or "package"
    return item.nodeid.split("::", 1)[0]


def _cost(group: str, tests: int) -> float:
    once, each = next(cost for pattern, cost in GROUP_COST if fnmatch.fnmatch(group, pattern))
    return once + each * tests


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # xdist: keep the groups in the order given below
        config.option.loadscopereorder = False


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    groups = {}
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker is None:
            item.add_marker(pytest.mark.xdist_group(_group(item)))
            marker = item.get_closest_marker("xdist_group")
        groups[item] = marker.args[0] if marker.args else marker.kwargs.get("name", "default")
    sizes = Counter(groups.values())
    first_seen = {g: i for i, g in reversed(list(enumerate(groups.values())))}
    items.sort(key=lambda it: (-_cost(groups[it], sizes[groups[it]]), first_seen[groups[it]]))
