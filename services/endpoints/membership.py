"""Which Services a pod or node concerns, from the informer caches (k/k `pkg/controller/util/endpoint`
GetPodServiceMemberships; staging `k8s.io/endpointslice/util` GetServicesToUpdateOnPodChange): the
handlers of both controllers map objects to Service keys with it, and reconcile reads a Service's pods."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.informer import BY_NAMESPACE, BY_NODE, InformerFactory, key_of
from services.endpoints.utils import handles, service_selector

__all__ = ["ServiceMembership"]


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
