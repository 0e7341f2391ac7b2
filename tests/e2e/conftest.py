"""Fixtures shared by the cluster suites: each suite's conftest provides `cluster` (see cluster.py)."""
import pytest

from kubelab.client import Client


@pytest.fixture
async def client(cluster):
    """An API client on the suite's running cluster."""
    c = Client(cluster.apiserver, retry_deadline=20)
    yield c
    await c.close()
