"""What the API server does to a Service beyond defaults and validation: its ClusterIP and NodePorts.

Mirrors k/k `pkg/registry/core/service/storage` (`rest.go`: normalizeClusterIPs, patchAllocatedValues,
dropTypeDependentFields; `alloc.go`: initIPFamilyFields, txnAllocClusterIPs, initNodePorts) on a
single-stack cluster. The ranges are `--service-cluster-ip-range` and `--service-node-port-range`
(`ipallocator.py`). What is held lives in Redis and is claimed and released by the same script that
writes the Service (`store.py`): a Service is stored if and only if its values are held, whatever
number of API servers run.

Values a client chose are claimed as given. Values the API server picks are picked optimistically:
the first candidate (ipallocator's scan order) not held in a snapshot read from Redis; if another API
server claimed it in the meantime the write is refused (`Taken`) and the next candidate is tried.
"""
from __future__ import annotations

import random
from typing import Awaitable, Callable, Iterator

from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import FieldError, Path, invalid
from services.apiserver import errors
from services.apiserver.ipallocator import (
    ERR_ALLOCATED, ERR_FULL, ERR_PORT_ALLOCATED, ErrNotInRange, PortRange, ServiceRange,
)
from services.apiserver.store import Store, Taken

__all__ = ["ServiceAllocator", "held", "prepare_update", "NODE_PORT"]

NONE = "None"
NODE_PORT = "nodeport:"  # how a NodePort is named among the held values
Write = Callable[[list[str], list[str]], Awaitable[int]]


def needs_cluster_ip(svc: core_pb2.Service) -> bool:
    return svc.spec.type != "ExternalName"


def needs_node_ports(svc: core_pb2.Service) -> bool:
    s = svc.spec
    return s.type == "NodePort" or (s.type == "LoadBalancer" and (
        not s.HasField("allocate_load_balancer_node_ports") or s.allocate_load_balancer_node_ports))


def _is_headless(svc: core_pb2.Service) -> bool:
    return list(svc.spec.cluster_ips) == [NONE]


def held(svc: core_pb2.Service | None) -> list[str]:
    """The values a stored Service holds: its ClusterIPs (not `None`) and `nodeport:<port>`s."""
    if svc is None:
        return []
    ips = [ip for ip in svc.spec.cluster_ips if ip and ip != NONE] if needs_cluster_ip(svc) else []
    ports = [f"{NODE_PORT}{p.node_port}" for p in svc.spec.ports if p.node_port]
    return list(dict.fromkeys(ips + ports))


def _clear_ip_fields(spec: core_pb2.ServiceSpec) -> None:
    spec.cluster_ip = ""
    del spec.cluster_ips[:]
    del spec.ip_families[:]
    spec.ClearField("ip_family_policy")


def _patch_ip_fields(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    if not ns.cluster_ip:
        ns.cluster_ip = os_.cluster_ip
    if not ns.cluster_ips:
        ns.cluster_ips.extend(os_.cluster_ips)
    if not ns.ip_families:
        ns.ip_families.extend(os_.ip_families)
    if not ns.HasField("ip_family_policy") and os_.HasField("ip_family_policy"):
        ns.ip_family_policy = os_.ip_family_policy


def _patch_node_ports(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    """A port the client sent without nodePort keeps the one its namesake had, unless another port uses it."""
    by_name = {p.name: p.node_port for p in os_.ports}
    used = {p.node_port for p in os_.ports} & {p.node_port for p in ns.ports}
    for p in ns.ports:
        if not p.node_port and by_name.get(p.name, 0) not in used:
            p.node_port = by_name.get(p.name, 0)


def prepare_update(new: core_pb2.Service, old: core_pb2.Service) -> None:
    """normalizeClusterIPs + patchAllocatedValues + dropTypeDependentFields for an update: a client that
    left the allocated fields out keeps them; a type that needs them no more drops them (unless the
    client changed them, which validation then judges)."""
    ns, os_ = new.spec, old.spec
    if os_.cluster_ips and not ns.cluster_ips and os_.cluster_ip == ns.cluster_ip:
        ns.cluster_ips.extend(os_.cluster_ips)  # an old client patching something else
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        _patch_ip_fields(ns, os_)
    elif needs_cluster_ip(old) and list(ns.cluster_ips) == list(os_.cluster_ips):
        _clear_ip_fields(ns)
    if needs_node_ports(old) and needs_node_ports(new):
        _patch_node_ports(ns, os_)
    elif needs_node_ports(old) and {p.node_port for p in ns.ports} - {0} <= {p.node_port for p in os_.ports}:
        for p in ns.ports:
            p.node_port = 0
    _drop_external_fields(ns, os_)


def _externally_accessible(s: core_pb2.ServiceSpec) -> bool:
    return s.type in ("LoadBalancer", "NodePort") or (s.type == "ClusterIP" and bool(s.external_ips))


def _drop_external_fields(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    """The rest of dropTypeDependentFields: fields only an external or LoadBalancer Service has, when the
    client left them as they were."""
    if _externally_accessible(os_) and not _externally_accessible(ns) and \
            ns.external_traffic_policy == os_.external_traffic_policy:
        ns.external_traffic_policy = ""
    if os_.type == "LoadBalancer" and ns.type != "LoadBalancer":
        for field in ("allocate_load_balancer_node_ports", "load_balancer_class"):
            if ns.HasField(field) and getattr(ns, field) == getattr(os_, field):
                ns.ClearField(field)
    if not (ns.type == "LoadBalancer" and ns.external_traffic_policy == "Local") and \
            ns.health_check_node_port == os_.health_check_node_port:
        ns.health_check_node_port = 0


class _Picks:
    """The values the API server chooses for one write, and the next candidate when one was taken."""

    def __init__(self, svc: core_pb2.Service, taken: set[str], ips: Iterator[str], ports: Iterator[int]):
        self.svc, self.taken = svc, taken
        self.ips = (ip for ip in ips if ip not in taken)
        self.ports = (p for p in ports if f"{NODE_PORT}{p}" not in taken)
        self.ip = False
        self.port_numbers: dict[int, list[int]] = {}  # service port number -> indexes sharing one NodePort

    def pick_ip(self) -> None:
        ip = next(self.ips, None)
        if ip is None:
            raise errors.internal(f"failed to allocate a serviceIP: {ERR_FULL}")
        spec = self.svc.spec
        spec.cluster_ip = ip
        del spec.cluster_ips[:]
        spec.cluster_ips.append(ip)
        self.ip = True

    def pick_node_ports(self, indexes: list[int]) -> None:
        """initNodePorts: one NodePort per service port number (TCP and UDP of one port share it)."""
        for i in indexes:
            self.port_numbers.setdefault(self.svc.spec.ports[i].port, []).append(i)
        for number in self.port_numbers:
            self._pick_port(number)

    def _pick_port(self, number: int) -> None:
        port = next(self.ports, None)
        if port is None:
            raise errors.internal(f"failed to allocate a nodePort: {ERR_FULL}")
        for i in self.port_numbers[number]:
            self.svc.spec.ports[i].node_port = port

    def repick(self, item: str) -> bool:
        """Replace the picked value another API server claimed first; False if it was not a pick."""
        self.taken.add(item)
        if self.ip and item == self.svc.spec.cluster_ip:
            self.pick_ip()
            return True
        for number, indexes in self.port_numbers.items():
            if f"{NODE_PORT}{self.svc.spec.ports[indexes[0]].node_port}" == item:
                self._pick_port(number)
                return True
        return False


class ServiceAllocator:
    """ClusterIPs and NodePorts of Services, held in Redis."""

    def __init__(self, store: Store, service_range: ServiceRange, node_ports: PortRange | None = None,
                 rng: random.Random | None = None):
        self.store = store
        self.range = service_range
        self.node_ports = node_ports or PortRange()
        self.rng = rng or random.Random()

    def init_ip_families(self, svc: core_pb2.Service) -> list[FieldError]:
        """initIPFamilyFields on a single-stack cluster: [<family of the range>] and SingleStack unless given
        (RequireDualStack for a headless Service without selector, as upstream)."""
        spec, family = svc.spec, self.range.family
        if not needs_cluster_ip(svc):
            return []
        headless_no_selector = _is_headless(svc) and not spec.selector
        if not spec.HasField("ip_family_policy"):
            spec.ip_family_policy = "RequireDualStack" if headless_no_selector else "SingleStack"
        errs: list[FieldError] = []
        if spec.ip_family_policy == "RequireDualStack" and not headless_no_selector:
            errs.append(invalid(Path("spec", "ipFamilyPolicy"), spec.ip_family_policy,
                                "this cluster is not configured for dual-stack services"))
        for i, fam in enumerate(spec.ip_families):
            if fam in ("IPv4", "IPv6") and fam != family:
                errs.append(invalid(Path("spec", "ipFamilies").index(i), fam, "not configured on this cluster"))
        if not spec.ip_families:
            spec.ip_families.append(family)
        return errs

    async def write(self, new: core_pb2.Service, old: core_pb2.Service | None, write: Write,
                    dry_run: bool = False) -> int:
        """Give `new` the ClusterIP and NodePorts it lacks, check the ones its client chose, and store it through
        `write(claims, releases)`: claims are the values it holds and `old` did not, releases the reverse."""
        before = set(held(old))
        chosen = [item for item in held(new) if item not in before]
        self._check_ranges(new, chosen)
        need_ip = needs_cluster_ip(new) and not new.spec.cluster_ip
        zero_ports = [i for i, p in enumerate(new.spec.ports) if not p.node_port] if needs_node_ports(new) else []
        taken = await self.store.service_allocations() if need_ip or zero_ports else set()
        taken.update(chosen)
        picks = _Picks(new, taken, self.range.candidates(self.rng), self.node_ports.candidates(self.rng))
        if need_ip:
            picks.pick_ip()
        picks.pick_node_ports(zero_ports)
        while True:
            now = held(new)
            if dry_run:
                return 0
            try:
                return await write([i for i in now if i not in before], [i for i in before if i not in now])
            except Taken as e:
                if e.item in chosen or not picks.repick(e.item):
                    raise self._failed(new, e.item, ERR_PORT_ALLOCATED if e.item.startswith(NODE_PORT)
                                       else ERR_ALLOCATED) from None

    def _check_ranges(self, svc: core_pb2.Service, chosen: list[str]) -> None:
        for item in chosen:
            try:
                if item.startswith(NODE_PORT):
                    self.node_ports.check(int(item.removeprefix(NODE_PORT)))
                else:
                    self.range.index_of(item)
            except ErrNotInRange as e:
                raise self._failed(svc, item, str(e)) from None

    def _failed(self, svc: core_pb2.Service, item: str, reason: str) -> errors.ApiError:
        """The create or update is invalid: `spec.clusterIPs` or `spec.ports[i].nodePort` as upstream words it."""
        if item.startswith(NODE_PORT):
            port = int(item.removeprefix(NODE_PORT))
            i = next(i for i, p in enumerate(svc.spec.ports) if p.node_port == port)
            err = invalid(Path("spec", "ports").index(i).child("nodePort"), port, reason)
        else:
            err = invalid(Path("spec", "clusterIPs"), list(svc.spec.cluster_ips), f"failed to allocate IP {item}: {reason}")
        return errors.invalid(registry.by_kind("Service"), svc.metadata.name, [err])
