"""The controller survives the API server going away: it reports NOT_SERVING while it cannot reach it, and
once the API server is back it picks up what changed (its own module, for its own API server)."""
from __future__ import annotations

from tests.integration.endpoints.conftest import run_pod, service, wait_views
from tests.support import wait_until


async def test_the_api_server_goes_away_and_comes_back(client, ns, endpoints, apiserver):
    await client.create(service("steady", {"app": "steady"}, [{"name": "http", "port": 80}]), ns)
    await run_pod(client, ns, "p0", "198.18.7.2", labels={"app": "steady"})
    await wait_views(client, ns, "steady", {"p0": [("http", 80)]})
    apiserver.stop()
    try:
        wait_until(lambda: not endpoints.serving(), 20, 0.2, "the controller to report NOT_SERVING")
    finally:
        apiserver.start()
    endpoints.wait_serving(timeout=30)
    await run_pod(client, ns, "p1", "198.18.7.3", labels={"app": "steady"})
    slices = await wait_views(client, ns, "steady", {"p0": [("http", 80)], "p1": [("http", 80)]})
    assert len(slices) == 1
