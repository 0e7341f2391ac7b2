"""Which Services a pod or node concerns, from the informer caches (k/k `pkg/controller/util/endpoint`
GetPodServiceMemberships; staging `k8s.io/endpointslice/util` GetServicesToUpdateOnPodChange): the
handlers of both controllers map objects to Service keys with it, and reconcile reads a Service's pods."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.informer import BY_NAMESPACE, BY_NODE, InformerFactory, key_of
from kubelab.podutil import is_pod_ready, is_pod_terminal
from services.endpoints.utils import handles, service_selector

__all__ = ["ServiceMembership", "pod_endpoints_changed"]


class ServiceMembership:
    def __init__(self, informers: InformerFactory):
        self.services = informers.informer("Service")
        self.pods = informers.informer("Pod")

    def pod_keys(self, pod: core_pb2.Pod) -> list[str]:
        """The Services of the pod's namespace whose selector matches its labels."""
        keys = []
        for svc in self.services.by_index(BY_NAMESPACE, pod.metadata.namespace):
            selector = service_selector(svc)
            if handles(svc) and selector is not None and selector.matches(pod.metadata.labels):
                keys.append(key_of(svc))
        return keys

    def node_keys(self, node: core_pb2.Node) -> list[str]:
        """The Services of the pods on the node (its zone label is in their endpoints)."""
        return sorted({key for pod in self.pods.by_index(BY_NODE, node.metadata.name) for key in self.pod_keys(pod)})

    def pods_of(self, svc: core_pb2.Service) -> list[core_pb2.Pod]:
        """The pods of the Service's namespace its selector matches (none without a selector)."""
        selector = service_selector(svc)
        if selector is None:
            return []
        return [p for p in self.pods.by_index(BY_NAMESPACE, svc.metadata.namespace)
                if selector.matches(p.metadata.labels)]


def _ips(pod: core_pb2.Pod) -> tuple[str, list[str]]:
    return pod.status.pod_ip, [p.ip for p in pod.status.pod_ips]


def pod_endpoints_changed(old: core_pb2.Pod, new: core_pb2.Pod) -> bool:
    """podEndpointsChanged (or a label, hostname or subdomain change): whether a pod update can change any
    Service's endpoints. Name, namespace and uid never change; nodeName is set before the pod has an IP.
    A pod turning Succeeded or Failed counts too (upstream relies on its Ready condition going False at the
    same time; a status written by hand may not do both)."""
    o, n = old.metadata, new.metadata
    return (dict(o.labels) != dict(n.labels) or (old.spec.hostname, old.spec.subdomain) !=
            (new.spec.hostname, new.spec.subdomain) or o.HasField("deletion_timestamp") !=
            n.HasField("deletion_timestamp") or is_pod_ready(old) != is_pod_ready(new) or _ips(old) != _ips(new)
            or is_pod_terminal(old) != is_pod_terminal(new))
