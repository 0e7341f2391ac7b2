"""The web view on a real local cluster (`kubelab up -d --nodes 2`, the ui component among the others), seen
in a real browser: Debian's chromium, headless, driven by Playwright (never `playwright install`: the
project's scripts/install-system-packages installs chromium). Screenshots go to a temporary artifacts dir
whose path each test prints."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from playwright.async_api import async_playwright

from tests.e2e.cluster import Cluster, new_namespace, running_cluster
from tests.e2e.scheduler.conftest import apply  # noqa: F401  (`kubelab apply -n NS -f FILE`, shared)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: A partitioned node turns NotReady in seconds, not the 50 s of kube-controller-manager's defaults: the
#: kubelets heartbeat every second and the node lifecycle controller gives up on one after 5 s.
FAST_NODE_MONITOR = {"KUBELAB_HEARTBEAT_INTERVAL": "1", "KUBELAB_NODE_MONITOR_PERIOD": "1",
                     "KUBELAB_NODE_MONITOR_GRACE_PERIOD": "5"}


class UICluster(Cluster):
    def __init__(self, state_dir):
        super().__init__(state_dir)
        self.env.update(FAST_NODE_MONITOR)
        self.up_said = ""
        """What `kubelab up` printed (its stderr: the event lines)."""

    def run(self, *args: str, **kw):
        result = super().run(*args, **kw)
        if args[:1] == ("up",):
            self.up_said = result.stderr
        return result

    @property
    def url(self) -> str:
        return (self.state_dir / "ui.url").read_text().strip()


@pytest.fixture(scope="package")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("ui-e2e") / "state", 2, UICluster) as c:
        yield c


@pytest.fixture(scope="package")
def artifacts(tmp_path_factory):
    path = tmp_path_factory.mktemp("ui-screenshots")
    print(f"screenshots: {path}")
    return path


@pytest.fixture
async def page(cluster, artifacts, request):
    """A fresh headless chromium (own profile) on the cluster's page at 1280x720, the projector's size."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run scripts/install-system-packages (it installs chromium)")
    profile = tempfile.mkdtemp(prefix="kubelab-ui-chromium-")
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 720})
        try:
            pg = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            await pg.goto(cluster.url + "?trace")
            await pg.wait_for_selector("#connection[data-state=live]")
            yield pg
            await pg.screenshot(path=str(artifacts / f"{request.node.name}.png"))
            assert not errors, f"errors on the page: {errors}"
        finally:
            await context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "ui")
