"""The `kube-dns` Service's Endpoints and EndpointSlice, pointing at the address this server serves on.

In Kubernetes the kube-dns Service selects the CoreDNS pods and the endpoint controllers write these.
kubelab's DNS server is a process, not a pod, and the Service has no selector, so, as the API server does
for `default/kubernetes`, the DNS server writes them itself: an EndpointSlice named `kube-dns` (labels
`kubernetes.io/service-name: kube-dns`, `endpointslice.kubernetes.io/managed-by: dns.kubelab.io`, owned by
the Service) and the legacy Endpoints (labelled `endpointslice.kubernetes.io/skip-mirror: "true"`, so a
mirroring controller leaves them alone). Ports: `dns` UDP, `dns-tcp` TCP, `metrics` (when served).

Built like every controller: `new_*` compute the wanted objects (pure), `reconcile` compares them with the
informers' caches and writes what differs.
"""
from __future__ import annotations

import logging

from google.protobuf.message import Message

from kubelab.api.v1 import core_pb2, discovery_pb2, meta_pb2
from kubelab.controller import Result, TerminalError
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_invalid
from kubelab.informer import InformerFactory, key_of
from services.dns.snapshot import SERVICE_NAME_LABEL

__all__ = ["SelfEndpoints", "Serving", "new_endpoint_slice", "new_endpoints", "MANAGED_BY"]

log = logging.getLogger(__name__)

MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "dns.kubelab.io"  # a label value cannot hold "/" (the contract said kubelab.io/dns)
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
RESERVED = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, "service.kubernetes.io/headless")


class Serving:
    """Where the server answers: its address and the (name, port, protocol) of each port."""

    def __init__(self, ip: str, dns_port: int, metrics_port: int | None):
        self.ip = ip
        self.ports = [("dns", dns_port, "UDP"), ("dns-tcp", dns_port, "TCP")]
        if metrics_port:
            self.ports.append(("metrics", metrics_port, "TCP"))


def _labels(svc: Message | None) -> dict[str, str]:
    return {k: v for k, v in (svc.metadata.labels.items() if svc is not None else ()) if k not in RESERVED}


def new_endpoint_slice(namespace: str, name: str, svc: Message | None, serving: Serving) -> Message:
    eps = discovery_pb2.EndpointSlice(api_version="discovery.k8s.io/v1", kind="EndpointSlice",
                                      address_type="IPv6" if ":" in serving.ip else "IPv4")
    eps.metadata.name, eps.metadata.namespace = name, namespace
    eps.metadata.labels.update({**_labels(svc), SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY})
    if svc is not None:
        eps.metadata.owner_references.append(meta_pb2.OwnerReference(
            api_version="v1", kind="Service", name=name, uid=svc.metadata.uid, controller=True,
            block_owner_deletion=True))
    ep = eps.endpoints.add(addresses=[serving.ip])
    ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating = True, True, False
    for port_name, port, protocol in serving.ports:
        eps.ports.add(name=port_name, port=port, protocol=protocol)
    return eps


def new_endpoints(namespace: str, name: str, svc: Message | None, serving: Serving) -> Message:
    ep = core_pb2.Endpoints(api_version="v1", kind="Endpoints")
    ep.metadata.name, ep.metadata.namespace = name, namespace
    ep.metadata.labels.update({**_labels(svc), SKIP_MIRROR_LABEL: "true"})
    subset = ep.subsets.add()
    subset.addresses.add(ip=serving.ip)
    for port_name, port, protocol in serving.ports:
        subset.ports.add(name=port_name, port=port, protocol=protocol)
    return ep


def _summary(obj: Message) -> tuple:
    """What this module sets, read back from either kind (the API server may add defaults around it)."""
    if obj.kind == "EndpointSlice" or isinstance(obj, discovery_pb2.EndpointSlice):
        return (obj.address_type, [(tuple(e.addresses), e.conditions.ready) for e in obj.endpoints],
                [(p.name, p.port, p.protocol) for p in obj.ports])
    return [([a.ip for a in s.addresses], [(p.name, p.port, p.protocol) for p in s.ports]) for s in obj.subsets]


def _same(current: Message, wanted: Message) -> bool:
    """True when current already says what wanted says (other labels may be there too)."""
    labels = all(current.metadata.labels.get(k) == v for k, v in wanted.metadata.labels.items())
    owners = [r.uid for r in current.metadata.owner_references] == [r.uid for r in wanted.metadata.owner_references]
    return labels and owners and _summary(current) == _summary(wanted)


class SelfEndpoints:
    """Reconciles the one key of the kube-dns Service."""

    def __init__(self, client, informers: InformerFactory, service_key: str = "kube-system/kube-dns"):
        self.client, self.key = client, service_key
        self.namespace, self.name = service_key.split("/", 1)
        self.services = informers.informer("Service")
        self.slices = informers.informer("EndpointSlice")
        self.endpoints = informers.informer("Endpoints")
        self.serving: Serving | None = None
        """Set by the listener once bound; None: nothing to point at yet."""

    def watches(self):
        def ours(obj: Message) -> list[str]:
            return [self.key] if key_of(obj) == self.key else []
        return [("EndpointSlice", ours), ("Endpoints", ours)]

    async def reconcile(self, key: str) -> Result | None:
        if key != self.key or self.serving is None:
            return None
        svc = self.services.get(self.key)
        try:
            await self._apply(self.slices.get(self.key),
                              new_endpoint_slice(self.namespace, self.name, svc, self.serving))
            await self._apply(self.endpoints.get(self.key),
                              new_endpoints(self.namespace, self.name, svc, self.serving))
        except ApiError as e:
            if not (is_already_exists(e) or is_conflict(e)):
                raise
            log.debug("cache behind the API, looking again key=%s error=%s", self.key, e)
            return Result(requeue=True)
        return None

    async def _apply(self, current: Message | None, wanted: Message) -> None:
        kind = wanted.kind
        try:
            if current is None:
                await self.client.create(wanted)
            elif not _same(current, wanted):
                wanted.metadata.resource_version = current.metadata.resource_version
                wanted.metadata.uid = current.metadata.uid
                await self.client.update(wanted)
            else:
                return
        except ApiError as e:
            if is_invalid(e):
                raise TerminalError(f"{kind} {self.key} refused: {e}") from e
            raise
        log.info("pointed at this server kind=%s key=%s address=%s ports=%s", kind, self.key, self.serving.ip,
                 ",".join(f"{n}:{p}/{proto}" for n, p, proto in self.serving.ports))
