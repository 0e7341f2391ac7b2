"""The suite runs in parallel (README: `pytest -n 3 --dist loadgroup`). Tests are grouped so that one
worker runs all the tests of a module (its module-scoped cluster or API server starts once) or of a package
with a package-scoped fixture (tests/e2e/scheduler's cluster); a test may name a group itself
(`@pytest.mark.xdist_group(...)`). What tests share on this machine is made safe elsewhere: ports are
leased (kubelab.cluster.ports), address ranges held (tests.support.host_ranges), kernel objects and
state dirs named after the cluster id and the test's temp dir."""
import pytest
from hypothesis import settings

# Property tests check what holds, not how fast: hypothesis' default 200 ms per example is a timing
# assertion that a loaded CI machine fails at random (test_labels' canonical form did).
settings.register_profile("kubelab", deadline=None)
settings.load_profile("kubelab")


def _group(item) -> str:
    for defs in item._fixtureinfo.name2fixturedefs.values():
        if defs[-1].scope == "package":
            return defs[-1].baseid or "package"
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(_group(item)))
