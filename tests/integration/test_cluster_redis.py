"""The embedded Redis: the flags the launcher starts it with, and the health ping (raw RESP)."""

import subprocess

import pytest

from kubelab.cluster.ports import allocate
from kubelab.cluster.redis_server import find_redis_server, ping, redis_argv
from tests.support import wait_until


@pytest.fixture
def redis_with_password(tmp_path):
    port = allocate({"redis": None})["redis"]
    argv = redis_argv(find_redis_server(), port=port, data_dir=tmp_path) + ["--requirepass", "s3cret"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield port, tmp_path
    proc.terminate()
    proc.wait(10)


def test_ping_authenticates_and_persistence_is_append_only(redis_with_password):
    port, data_dir = redis_with_password
    wait_until(lambda: ping(f"redis://:s3cret@127.0.0.1:{port}/0"), 10, what="redis to answer")
    assert not ping(f"redis://:wrong@127.0.0.1:{port}/0")
    assert not ping(f"redis://127.0.0.1:{port}/0")  # NOAUTH
    wait_until(lambda: any(p.name.startswith("appendonly") for p in data_dir.iterdir()), 10, what="an AOF")


def test_ping_of_nothing_is_false():
    port = allocate({"x": None})["x"]
    assert not ping(f"redis://127.0.0.1:{port}/0", timeout=0.5)
