"""Fixtures for the provisioner's integration tests: the real API server (tests/integration/conftest.py),
the provisioner as a process on a cluster directory of its own, and object builders."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_already_exists, is_not_found
from tests import support
from tests.support import wait_for

FAST = ("--pvclaimbinder-sync-period", "0.5", "--orphan-sweep-period", "0.5", "--attach-resync-period", "0.5")


class ComponentProcess(support.ComponentProcess):
    """`python -m services.<component>` against an API server, on `cluster_dir`."""

    def __init__(self, component: str, apiserver: str, cluster_dir: Path, *args: str):
        super().__init__(component, apiserver, "--cluster-dir", str(cluster_dir), *args)
        self.component = component

    async def wait_serving(self, timeout: float = 20.0) -> None:
        async def serving():
            return await asyncio.to_thread(self.serving)
        await wait_for(serving, timeout, f"{self.component} SERVING")


@pytest.fixture
def cluster_dir(tmp_path) -> Path:
    return tmp_path / "cluster"


@pytest.fixture
def start_provisioner(apiserver, cluster_dir):
    """`await start_provisioner(*flags)`: a serving provisioner; every one started is stopped at the end."""
    started: list[ComponentProcess] = []

    async def start(*args: str) -> ComponentProcess:
        proc = ComponentProcess("provisioner", apiserver.address, cluster_dir, *FAST, *args).start()
        started.append(proc)
        await proc.wait_serving()
        return proc

    yield start
    for proc in started:
        proc.stop()


async def new_namespace(client: Client) -> str:
    ns = core_pb2.Namespace()
    ns.metadata.name = f"st-{uuid.uuid4().hex[:8]}"
    await client.create(ns)
    return ns.metadata.name


async def ensure(client: Client, obj) -> None:
    """Create unless it exists (cluster-scoped objects shared by the tests of a module)."""
    try:
        await client.create(obj)
    except ApiError as e:
        if not is_already_exists(e):
            raise


def storage_class(name: str, provisioner: str, mode: str = "Immediate", default: bool = False,
                  policy: str = "Delete") -> storage_pb2.StorageClass:
    sc = storage_pb2.StorageClass(api_version="storage.k8s.io/v1", kind="StorageClass", provisioner=provisioner,
                                  reclaim_policy=policy, volume_binding_mode=mode)
    sc.metadata.name = name
    if default:
        sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"] = "true"
    return sc


async def builtin_classes(client: Client) -> None:
    """The launcher's three classes (created by `kubelab up`)."""
    for sc in (storage_class("standard", "kubelab.io/local-path", "WaitForFirstConsumer", default=True),
               storage_class("network-disk", "kubelab.io/network-disk"), storage_class("shared", "kubelab.io/shared")):
        await ensure(client, sc)


async def nodes(client: Client, *names: str) -> None:
    for name in names:
        node = core_pb2.Node()
        node.metadata.name = name
        node.metadata.labels["kubernetes.io/hostname"] = name
        await ensure(client, node)


def claim(name: str, namespace: str, size: str = "1Gi", modes=("ReadWriteOnce",), cls: str | None = None,
          volume: str = "") -> core_pb2.PersistentVolumeClaim:
    c = core_pb2.PersistentVolumeClaim(api_version="v1", kind="PersistentVolumeClaim")
    c.metadata.name, c.metadata.namespace = name, namespace
    c.spec.access_modes.extend(modes)
    c.spec.resources.requests["storage"] = size
    if cls is not None:
        c.spec.storage_class_name = cls
    c.spec.volume_name = volume
    return c


def volume(name: str, size: str, cls: str, modes=("ReadWriteOnce",), policy: str = "Retain",
           host_path: str | None = None) -> core_pb2.PersistentVolume:
    v = core_pb2.PersistentVolume(api_version="v1", kind="PersistentVolume")
    v.metadata.name = name
    v.spec.capacity["storage"] = size
    v.spec.access_modes.extend(modes)
    v.spec.storage_class_name = cls
    v.spec.persistent_volume_reclaim_policy = policy
    v.spec.host_path.path = host_path or f"/mnt/{name}"
    return v


def pod(name: str, namespace: str, claim_name: str, node: str = "") -> core_pb2.Pod:
    p = core_pb2.Pod(api_version="v1", kind="Pod")
    p.metadata.name, p.metadata.namespace = name, namespace
    p.spec.node_name = node
    p.spec.containers.add(name="app", image="busybox", command=["sleep", "3600"])
    vol = p.spec.volumes.add(name="data")
    vol.persistent_volume_claim.claim_name = claim_name
    return p


async def get_or_none(client: Client, kind: str, name: str, namespace: str = ""):
    try:
        return await client.get(kind, name, namespace)
    except ApiError as e:
        if is_not_found(e):
            return None
        raise


async def events_for(client: Client, namespace: str, name: str, reason: str | None = None) -> list[core_pb2.Event]:
    items, _ = await client.list("Event", namespace)
    return [e for e in items if e.involved_object.name == name and (reason is None or e.reason == reason)]
