import itertools

import pytest

from kubelab.client import Client
from tests.support import ApiServerProcess, RedisProcess

_db = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server():
    server = RedisProcess().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apiserver(redis_server):
    """One API server per test module, on a Redis database of its own."""
    url = redis_server.url.rsplit("/", 1)[0] + f"/{next(_db) % 16}"
    import redis
    redis.Redis.from_url(url).flushdb()
    server = ApiServerProcess(url, "--history", "500").start()
    yield server
    server.stop()


@pytest.fixture
async def client(apiserver):
    c = Client(apiserver.address, retry_deadline=20)
    yield c
    await c.close()
