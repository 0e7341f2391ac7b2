import pytest

from kubelab.client import Client
from tests.support import RedisProcess, apiserver_on


@pytest.fixture(scope="session")
def redis_server():
    server = RedisProcess().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apiserver(redis_server):
    """One API server per test module, on a Redis database of its own."""
    with apiserver_on(redis_server) as server:
        yield server


@pytest.fixture
async def client(apiserver):
    c = Client(apiserver.address, retry_deadline=20)
    yield c
    await c.close()
