"""What exists from the start: the system namespaces, `default/kubernetes` and `kube-system/kube-dns`.

- Namespaces are re-created if Redis lost them.
- `default/kubernetes` mirrors k/k `pkg/controlplane/controller/kubernetesservice` and the endpoint
  reconciler (`pkg/controlplane/reconcilers`): every `RECONCILE_INTERVAL` the Service is created if
  missing (never updated: "Service definition is not reconciled after first run"), and the Endpoints
  and EndpointSlice named `kubernetes` are made to list this API server's advertise address (each
  API server adds itself; `endpointsadapter.go` derives the slice from the Endpoints).
- `kube-system/kube-dns` is kubeadm's CoreDNS addon Service: created once; a user who deletes it keeps
  it deleted (a Redis that lost everything gets it again).

Deviation, on purpose: when the advertise address is a loopback address (the default on one machine:
the API server listens on 127.0.0.1), the Endpoints and EndpointSlice are written without validation,
which would reject it (`may not be in the loopback range`). Give `--advertise-address` a routable
address to get objects that pass validation.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging

from google.protobuf.message import Message

from kubelab import manifest
from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.errors import is_already_exists, is_not_found
from kubelab.network import DNS_SERVICE_INDEX, KUBERNETES_SERVICE_INDEX
from services.apiserver import errors
from services.apiserver.ipallocator import ServiceRange

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
RECONCILE_INTERVAL = 10.0  # seconds; kube-apiserver's --endpoint-reconciler interval
RETRY_INTERVAL = 0.2  # seconds between attempts until the first round succeeded
KUBE_DNS = "kube-dns"


async def ensure_namespaces(resources, wait: bool = False) -> None:
    """Create the system namespaces that are missing; with wait, retry until storage answers."""
    delay = 0.1
    while True:
        try:
            for name in SYSTEM_NAMESPACES:
                ns = core_pb2.Namespace()
                ns.metadata.name = name
                if await _create(resources, ns):
                    log.info("created namespace name=%s", name)
            return
        except Exception as e:  # Redis not there yet
            if not wait:
                log.warning("could not create system namespaces error=%r", str(e))
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def _create(resources, obj: Message, skip_validation: bool = False) -> bool:
    """Create obj; False when it exists already."""
    try:
        await resources.create(obj, skip_validation=skip_validation)
        return True
    except errors.ApiError as e:
        if not is_already_exists(e):
            raise
        return False


def kubernetes_service(service_range: ServiceRange, port: int) -> Message:
    """kubernetesservice.Controller's Service: index 1 of the range, https 443 -> the API server's port."""
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"provider": "kubernetes", "component": "apiserver"}},
        "spec": {"clusterIP": service_range.address(KUBERNETES_SERVICE_INDEX - 1), "type": "ClusterIP",
                 "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]}})


def kube_dns_service(service_range: ServiceRange, proxied: bool = False) -> Message:
    """kubeadm's kube-dns Service, with no selector (the DNS server writes its endpoints itself) and the
    proxy-name label that keeps kube-proxy off it (the DNS server binds the ClusterIP). `proxied` (docker
    compose: the DNS server serves on its container's address) leaves the label out, as kubeadm's Service
    has none, so that the kube-proxies forward the ClusterIP to the server's endpoint."""
    labels = {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}
    if not proxied:
        labels["service.kubernetes.io/service-proxy-name"] = "kubelab-dns"
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": KUBE_DNS, "namespace": "kube-system",
                     "labels": labels,
                     "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
        "spec": {"clusterIP": service_range.address(DNS_SERVICE_INDEX - 1),
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}})


def kubernetes_endpoints(ips: list[str], port: int) -> Message:
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                     "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]})


def endpoint_slice_from_endpoints(ep: Message) -> Message:
    """endpointsadapter.go endpointSliceFromEndpoints: same name, the service-name label, ready endpoints."""
    subset = ep.subsets[0] if ep.subsets else None
    return manifest.from_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": ep.metadata.name, "namespace": ep.metadata.namespace,
                     "labels": {"kubernetes.io/service-name": ep.metadata.name}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [a.ip], "conditions": {"ready": True}}
                      for a in (subset.addresses if subset else [])],
        "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol} for p in (subset.ports if subset else [])]})


class SystemServices:
    """The kubernetes Service controller and endpoint reconciler, plus kube-dns's one-time creation."""

    def __init__(self, resources, service_range: ServiceRange, advertise: str, port: int,
                 kube_dns_proxied: bool = False):
        self.resources = resources
        self.kube_dns_proxied = kube_dns_proxied
        self.range = service_range
        self.advertise = advertise
        self.port = port
        self.trusted = ipaddress.ip_address(advertise).is_loopback  # see the module docstring
        self.done_once = False  # the API server reports SERVING only after (kube-apiserver's readyz does too)
        self.first_done = asyncio.Event()
        """Set when the first round has succeeded (done_once became True)."""

    async def run(self, interval: float = RECONCILE_INTERVAL) -> None:
        """Reconcile every interval; until the first round succeeds, every RETRY_INTERVAL."""
        while True:
            self.done_once = await self.reconcile_once() or self.done_once
            if self.done_once:
                self.first_done.set()
            await asyncio.sleep(interval if self.done_once else RETRY_INTERVAL)

    async def reconcile_once(self) -> bool:
        try:
            await self.reconcile()
            return True
        except Exception as e:  # Redis away, or a conflict with another API server: next round
            log.warning("system services not reconciled error=%r", str(e))
            return False

    async def reconcile(self) -> None:
        if await _create(self.resources, kubernetes_service(self.range, self.port)):
            log.info("created service key=default/kubernetes")
        await self._kube_dns_once()
        endpoints = await self._kubernetes_endpoints()
        await self._sync(endpoint_slice_from_endpoints(endpoints), "EndpointSlice")

    async def _kube_dns_once(self) -> None:
        store = self.resources.store
        if await store.bootstrapped(KUBE_DNS):
            return
        if await _create(self.resources, kube_dns_service(self.range, self.kube_dns_proxied)):
            log.info("created service key=kube-system/kube-dns")
        await store.mark_bootstrapped(KUBE_DNS)

    async def _kubernetes_endpoints(self) -> Message:
        """The kubernetes Endpoints with this API server's address added (others' addresses kept)."""
        try:
            current = await self.resources.get(_info("Endpoints"), "default", "kubernetes")
        except errors.ApiError as e:
            if not is_not_found(e):
                raise
            current = None
        ips = [a.ip for s in current.subsets for a in s.addresses] if current is not None else []
        port = current.subsets[0].ports[0].port if current is not None and current.subsets and \
            current.subsets[0].ports else self.port
        if self.advertise not in ips:
            ips.append(self.advertise)
        return await self._sync(kubernetes_endpoints(ips, port), "Endpoints")

    async def _sync(self, want: Message, kind: str) -> Message:
        """Create want, or update the stored object to it when its content differs."""
        try:
            return await self.resources.create(want, skip_validation=self.trusted)
        except errors.ApiError as e:
            if not is_already_exists(e):
                raise
        have = await self.resources.get(_info(kind), want.metadata.namespace, want.metadata.name)
        if _content(have) == _content(want):
            return have
        want.metadata.resource_version = have.metadata.resource_version
        log.info("updating %s key=default/%s", kind, want.metadata.name)
        return await self.resources.update(want, skip_validation=self.trusted)


def _info(kind: str):
    return registry.by_kind(kind)


def _content(obj: Message) -> dict:
    data = manifest.to_dict(obj)
    meta = data.pop("metadata", {})
    return {**data, "labels": meta.get("labels", {})}
