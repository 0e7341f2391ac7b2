"""The Node: registration, status and the heartbeat Lease (kubelet_node_status.go, nodelease).

Registration creates the Node (label kubernetes.io/hostname; spec.podCIDR only with the kubelet's
--pod-cidr, else the node lifecycle controller allocates it) or, when it exists, merges our labels (and
that podCIDR, if the Node has none) into it. Until the node's pod network is up, Ready is False with the
kubelet's NetworkPluginNotReady message and the node reports no InternalIP. Every heartbeat interval the Lease `kube-node-lease/<node>`
is renewed, and the node status is compared with the API's: it is written when anything but the
heartbeat times differs (another component set Ready Unknown, the volumes in use changed, ...) or
when `report_frequency` seconds have passed, as the kubelet's nodeStatusReportFrequency.
"""
from __future__ import annotations

import asyncio
import logging
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api.v1 import coordination_pb2, core_pb2
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_not_found

__all__ = ["NodeIdentity", "NodeAgent", "new_node", "node_status", "LEASE_NAMESPACE", "LEASE_DURATION",
           "KUBELET_VERSION"]

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
KUBELET_VERSION = "v1.30.0-kubelab"
RUNTIME_VERSION = "kubelab://0.1.0"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}
_CONDITIONS = (("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
               ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
               ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
               ("Ready", "True", "KubeletReady", "kubelet is posting ready status"))


@dataclass(frozen=True)
class NodeIdentity:
    name: str
    pod_cidr: str
    address: str
    """InternalIP: where the CLI reaches this node's logs and exec ("" until the pod network is up)."""
    port: int
    capacity: dict[str, str] = field(default_factory=dict)
    hollow: bool = False
    network_error: str = ""
    """Why pods cannot run yet (the pod network is not up): Ready False with this message."""


def _now() -> Timestamp:
    ts = Timestamp()
    ts.FromSeconds(int(time.time()))
    return ts


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def new_node(ident: NodeIdentity) -> core_pb2.Node:
    node = core_pb2.Node(api_version="v1", kind="Node")
    node.metadata.name = ident.name
    node.metadata.labels.update(node_labels(ident))
    if ident.pod_cidr:
        node.spec.pod_cidr = ident.pod_cidr
        node.spec.pod_cidrs.append(ident.pod_cidr)
    return node


def node_labels(ident: NodeIdentity) -> dict[str, str]:
    arch = _ARCH.get(platform.machine(), platform.machine())
    labels = {"kubernetes.io/hostname": ident.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
              "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch}
    if ident.hollow:
        labels["kubelab.io/hollow"] = "true"
    return labels


def node_status(ident: NodeIdentity, current: core_pb2.NodeStatus, volumes_in_use: list[str]) -> core_pb2.NodeStatus:
    """The status to report, keeping transition times of conditions whose status did not change."""
    status = core_pb2.NodeStatus()
    status.capacity.update(ident.capacity)
    status.allocatable.update(ident.capacity)
    existing = {c.type: c for c in current.conditions}
    now = _now()
    for ctype, value, reason, message in _CONDITIONS:
        if ctype == "Ready" and ident.network_error:
            value, reason, message = "False", "KubeletNotReady", ident.network_error
        cond = status.conditions.add(type=ctype, status=value, reason=reason, message=message)
        cond.last_heartbeat_time.CopyFrom(now)
        prev = existing.get(ctype)
        cond.last_transition_time.CopyFrom(prev.last_transition_time if prev and prev.status == value else now)
    status.conditions.extend(c for c in current.conditions if c.type not in {c[0] for c in _CONDITIONS})
    if ident.address:
        status.addresses.add(type="InternalIP", address=ident.address)
    status.addresses.add(type="Hostname", address=ident.name)
    status.daemon_endpoints.kubelet_endpoint.port = ident.port
    info = status.node_info
    info.machine_id = _read("/etc/machine-id")
    info.system_uuid = info.machine_id
    info.boot_id = _read("/proc/sys/kernel/random/boot_id")
    info.kernel_version, info.os_image = platform.release(), _os_image()
    info.container_runtime_version, info.kubelet_version = RUNTIME_VERSION, KUBELET_VERSION
    info.kube_proxy_version, info.operating_system = KUBELET_VERSION, "linux"
    info.architecture = _ARCH.get(platform.machine(), platform.machine())
    status.volumes_in_use.extend(sorted(set(volumes_in_use)))
    status.volumes_attached.extend(current.volumes_attached)
    return status


def _without_heartbeats(status: core_pb2.NodeStatus) -> core_pb2.NodeStatus:
    out = core_pb2.NodeStatus()
    out.CopyFrom(status)
    for c in out.conditions:
        c.ClearField("last_heartbeat_time")
    return out


def default_capacity(cpu: str, memory: str, pods: int, root: str) -> dict[str, str]:
    try:
        disk = shutil.disk_usage(root).total
    except OSError:
        disk = 0
    cap = {"cpu": cpu, "memory": memory, "pods": str(pods)}
    if disk:
        cap["ephemeral-storage"] = f"{disk // 1024}Ki"
    return cap


class NodeAgent:
    def __init__(self, client, events, ident: NodeIdentity, *, heartbeat_interval: float,
                 report_frequency: float, volumes_in_use: Callable[[], list[str]] = list,
                 start_delay: float = 0.0):
        self.client, self.events, self.ident = client, events, ident
        self.heartbeat_interval, self.report_frequency = heartbeat_interval, report_frequency
        self.volumes_in_use = volumes_in_use
        self.start_delay = start_delay
        """Seconds between registration and the first heartbeat (spreads many hollow nodes' writes)."""
        self._last_report = 0.0
        self.registered = asyncio.Event()
        self._node_uid = ""

    async def run(self) -> None:
        delay = 0.2
        while not self.registered.is_set():
            try:
                await self.register()
            except ApiError as e:
                log.warning("node registration failed, retrying node=%s error=%s", self.ident.name, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await asyncio.sleep(self.start_delay)
        while True:
            for step in (self.renew_lease, self.update_status):
                try:
                    await step()
                except ApiError as e:
                    log.warning("node heartbeat failed node=%s step=%s error=%s", self.ident.name, step.__name__, e)
            await asyncio.sleep(self.heartbeat_interval)

    async def register(self) -> None:
        try:
            node = await self.client.create(new_node(self.ident))
            log.info("node registered node=%s pod_cidr=%s address=%s", self.ident.name, self.ident.pod_cidr,
                     self.ident.address)
        except ApiError as e:
            if not is_already_exists(e):
                raise
            node = await self._merge_existing()
        self._node_uid = node.metadata.uid
        self.events.event(node, "Normal", "Starting", "Starting kubelet.")
        await self.update_status(force=True)
        self.registered.set()

    async def _merge_existing(self) -> core_pb2.Node:
        for _ in range(5):
            node = await self.client.get("Node", self.ident.name)
            labels = node_labels(self.ident)
            if all(node.metadata.labels.get(k) == v for k, v in labels.items()) and (
                    node.spec.pod_cidr or not self.ident.pod_cidr):
                return node
            node.metadata.labels.update(labels)
            if not node.spec.pod_cidr and self.ident.pod_cidr:
                node.spec.pod_cidr = self.ident.pod_cidr
                node.spec.pod_cidrs[:] = [self.ident.pod_cidr]
            try:
                return await self.client.update(node)
            except ApiError as e:
                if not is_conflict(e):
                    raise
        raise ApiError(grpc.StatusCode.ABORTED, "Conflict", f"node {self.ident.name} kept changing")

    async def update_status(self, force: bool = False) -> None:
        for _ in range(5):
            node = await self.client.get("Node", self.ident.name)
            status = node_status(self.ident, node.status, self.volumes_in_use())
            due = time.monotonic() - self._last_report >= self.report_frequency
            if not force and not due and _without_heartbeats(status) == _without_heartbeats(node.status):
                return
            was_ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
            node.status.CopyFrom(status)
            try:
                await self.client.update_status(node)
            except ApiError as e:
                if is_conflict(e):
                    continue
                raise
            self._last_report = time.monotonic()
            if not was_ready and not self.ident.network_error:
                self.events.event(node, "Normal", "NodeReady", f"Node {self.ident.name} status is now: NodeReady")
            return

    async def renew_lease(self) -> None:
        name = self.ident.name
        try:
            lease = await self.client.get("Lease", name, LEASE_NAMESPACE)
        except ApiError as e:
            if not is_not_found(e):
                raise
            lease = coordination_pb2.Lease(api_version="coordination.k8s.io/v1", kind="Lease")
            lease.metadata.name, lease.metadata.namespace = name, LEASE_NAMESPACE
            if self._node_uid:
                lease.metadata.owner_references.add(api_version="v1", kind="Node", name=name, uid=self._node_uid)
            self._fill_lease(lease)
            await self.client.create(lease)
            return
        self._fill_lease(lease)
        await self.client.update(lease)

    def _fill_lease(self, lease: coordination_pb2.Lease) -> None:
        lease.spec.holder_identity = self.ident.name
        lease.spec.lease_duration_seconds = LEASE_DURATION
        lease.spec.renew_time.FromNanoseconds(int(time.time() * 1e9) // 1000 * 1000)
