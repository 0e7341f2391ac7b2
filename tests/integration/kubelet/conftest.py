"""Fixtures: a cluster dir and a kubelet process (node-1) per test module, on the module's API server.

Pods a test creates are deleted after it (and confirmed by the kubelet), so modules share nothing.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from kubelab.client import Client
from kubelab.errors import ApiError
from tests.integration.kubelet.kubelet_support import KubeletProcess, kill_shims

NAMESPACE = "default"
#: Seconds the kubelet waits for a disk to be attached before it says FailedMount (Kubernetes: 120).
ATTACH_MOUNT_TIMEOUT = 4


@pytest.fixture(scope="module")
def cluster_dir():
    d = Path(tempfile.mkdtemp(prefix="kl-cluster-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def kubelet(apiserver, cluster_dir):
    k = KubeletProcess(apiserver.address, cluster_dir, "node-1", "--attach-mount-timeout", str(ATTACH_MOUNT_TIMEOUT)
                       ).start()
    yield k
    k.stop()
    kill_shims(k.root)
    k.remove_network()


async def delete_all_pods(client: Client, grace: int | None = 1) -> None:
    pods, _ = await client.list("Pod", NAMESPACE)
    for pod in pods:
        try:
            await client.delete("Pod", pod.metadata.name, NAMESPACE, grace_period_seconds=grace)
        except ApiError:
            pass
    for _ in range(400):
        pods, _ = await client.list("Pod", NAMESPACE)
        if not pods:
            return
        await asyncio.sleep(0.05)
    for pod in pods:  # the kubelet did not confirm: force, so the next test starts clean
        try:
            await client.delete("Pod", pod.metadata.name, NAMESPACE, grace_period_seconds=0)
        except ApiError:
            pass


@pytest.fixture
async def node(kubelet, client):
    """node-1's kubelet; the test's pods are deleted afterwards."""
    yield kubelet
    await delete_all_pods(client)
