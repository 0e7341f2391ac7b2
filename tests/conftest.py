"""The suite runs in parallel (README: `pytest -n 3 --dist loadgroup`). Tests are grouped so that one
worker runs all the tests of a module (its module-scoped cluster or API server starts once) or of a package
with a package-scoped fixture (tests/e2e/scheduler's cluster); a test may name a group itself
(`@pytest.mark.xdist_group(...)`). What tests share on this machine is made safe elsewhere: ports are
leased (kubelab.cluster.ports), address ranges held (tests.support.host_ranges), kernel objects and
state dirs named after the cluster id and the test's temp dir.

The groups go to the workers longest first (the classic longest-processing-time rule), so that no
worker is left running a long lab alone at the end: xdist would order them by their number of tests,
which puts the one-test labs (a minute each) last. A group's length is estimated from where it lives
(a cluster's start, then each test) and its number of tests, except that the tests a `-n 5` run listed
among its slowest (MEASURED) count what they took there: the longest of them (lab 3, near two minutes)
would otherwise be estimated like any lab and could start after shorter groups.
"""
import fnmatch
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what holds, not how fast: hypothesis' default 200 ms per example and its
# too-slow data check are timing assertions that a loaded CI machine fails at random (test_labels did).
settings.register_profile("kubelab", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kubelab")

#: Rough seconds per group, by the first pattern its name matches: (once per group, per test). A lab's
#: test that MEASURED does not list took under half a minute in the run it records.
GROUP_COST = [("tests/labs/test_[0-9]*", (30.0, 30.0)), ("tests/e2e/*", (15.0, 12.0)),
              ("tests/integration/*", (3.0, 2.0)), ("*", (0.0, 0.05))]

#: Seconds the slowest tests took (call phase) in a whole-suite run at `-n 5` (2026-12, the 2-core CI
#: machine; `--durations=30`), by node id or, for a module's one slow test, module: a group counts these
#: instead of GROUP_COST's per-test estimate. Only the order matters: refresh it from a later run's
#: `--durations`, and add a test that takes more than about half a minute.
MEASURED = {
    "tests/labs/test_03_controller_killed_midway.py": 107,
    "tests/e2e/habits/test_get_paths.py::test_a_table_over_http_is_the_table_over_grpc": 59,
    "tests/labs/test_10_ordered_bring_up.py": 57,
    "tests/labs/test_09_deployment_rwo_claim.py": 51,
    "tests/labs/test_11_watch_semantics.py": 50,
    "tests/labs/test_13_services_and_dns.py": 48,
    "tests/e2e/habits/test_habits.py::test_statefulset_example_kill_the_controller_step": 47,
    "tests/labs/test_12_chaos_and_checking.py": 47,
    "tests/labs/test_06_node_dies.py": 43,
    "tests/labs/test_07_partitioned_node.py": 42,
    "tests/e2e/test_chaos_check.py": 39,
    "tests/labs/test_05_redis_lost.py": 38,
    "tests/labs/test_01_scheduler_down.py": 37,
    "tests/labs/test_02_storage_controller_down.py": 33,
    "tests/integration/test_bench_smoke.py": 45,  # each of its two tests, in groups of their own
    "tests/e2e/scheduler/test_restart.py": 32,
}


def _group(item) -> str:
    for defs in item._fixtureinfo.name2fixturedefs.values():
        if defs[-1].scope == "package":
            return defs[-1].baseid or "package"
    return item.nodeid.split("::", 1)[0]


def _measured(nodeid: str) -> str | None:
    """The MEASURED key of a test: its node id, else its module's."""
    module = nodeid.split("::", 1)[0]
    return nodeid if nodeid in MEASURED else module if module in MEASURED else None


def _cost(group: str, tests: int, measured: set[str] = frozenset()) -> float:
    """Estimated seconds of a group of `tests` tests, `measured` the MEASURED keys among them (a module's
    once, for its one slow test)."""
    once, each = next(cost for pattern, cost in GROUP_COST if fnmatch.fnmatch(group, pattern))
    return once + each * (tests - len(measured)) + sum(MEASURED[key] for key in measured)


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
    measured: dict[str, set[str]] = {}
    for item, group in groups.items():
        if (key := _measured(item.nodeid)) is not None:
            measured.setdefault(group, set()).add(key)
    cost = {g: _cost(g, n, measured.get(g, set())) for g, n in sizes.items()}
    first_seen = {g: i for i, g in reversed(list(enumerate(groups.values())))}
    items.sort(key=lambda it: (-cost[groups[it]], first_seen[groups[it]]))
