"""services/ui/server.py's verb endpoint over real HTTP (aiohttp's test server): only the page itself may
kill a process, not any other page open in the same browser."""
import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.ui.hub import Hub
from services.ui.server import ACTION_HEADER, new_app, refusal


class FakeComponents:
    def __init__(self):
        self.done: list[tuple[str, str]] = []

    async def act(self, verb: str, name: str) -> str:
        self.done.append((verb, name))
        return f"{name} {verb}ed"


@pytest.fixture
async def served():
    components = FakeComponents()
    client = TestClient(TestServer(new_app(None, Hub(), components), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client, components
    finally:
        await client.close()


async def test_the_pages_own_request_acts(served):
    client, components = served
    origin = f"http://127.0.0.1:{client.port}"
    resp = await client.post("/api/components/scheduler/kill", headers={ACTION_HEADER: "1", "Origin": origin})
    assert resp.status == 200 and await resp.json() == {"said": "scheduler killed"}
    assert components.done == [("kill", "scheduler")]


@pytest.mark.parametrize("headers, why", [
    ({}, "X-Kubelab-Action header is missing"),  # a cross-site <form method=post> cannot set a header
    ({ACTION_HEADER: "1", "Origin": "http://evil.example"}, "Origin 'http://evil.example' is not this page's"),
    ({ACTION_HEADER: "1", "Origin": "null"}, "Origin 'null'"),
    ({ACTION_HEADER: "1", "Host": "evil.example:80", "Origin": "http://evil.example:80"}, "is a name"),  # DNS rebinding
])
async def test_a_request_from_elsewhere_is_refused(served, headers, why):
    client, components = served
    resp = await client.post("/api/components/scheduler/kill", headers=headers)
    assert resp.status == 403 and why in (await resp.json())["error"]
    assert components.done == []


async def test_a_cross_site_fetch_gets_no_preflight_grant(served):
    client, _ = served
    resp = await client.options("/api/components/scheduler/kill", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": ACTION_HEADER.lower()})
    assert resp.status >= 400 and "Access-Control-Allow-Origin" not in resp.headers


def test_refusal_accepts_addresses_and_localhost_with_or_without_origin():
    for host in ("127.0.0.1:8081", "[::1]:8081", "localhost:8081", "10.0.0.5"):
        assert refusal({"Host": host, ACTION_HEADER: "1"}, "http") is None
        assert refusal({"Host": host, ACTION_HEADER: "1", "Origin": f"http://{host}"}, "http") is None
    assert "Origin" in refusal({"Host": "127.0.0.1:8081", ACTION_HEADER: "1", "Origin": "http://127.0.0.1:9"}, "http")
