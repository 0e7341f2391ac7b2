"""kubectl describe's pages (kubectl pkg/describe): DESCRIBERS maps each kind to its page, literally.

A page is a pure function `(obj, related, w) -> None` writing into a PrefixWriter (page.py); `related`
carries what it shows besides the object (its events, owned pods, replica sets, ...), fetched by the
`describe` command (kubelab.cli.cmd.describe), so the pages are unit-testable. Kinds without a page get
kubectl's generic one.

- page: the layout, shared sections (labels, annotations, taints), the events table, the generic page;
- pods: pods, and the container, volume and pod-template sections other pages reuse;
- workloads: Deployments, ReplicaSets, StatefulSets, Nodes and Namespaces;
- resources: a node's allocated resources;
- network: Services, Endpoints, EndpointSlices;
- storage: PersistentVolumeClaims, PersistentVolumes, StorageClasses;
- config: ConfigMaps and Secrets.
"""

from __future__ import annotations

from typing import Callable

from google.protobuf.message import Message

from kubelab.cli.describe import config, network, pods, storage, workloads
from kubelab.cli.describe.page import PrefixWriter, Related, describe_events, describe_generic

__all__ = ["DESCRIBERS", "Related", "describe"]

DESCRIBERS: dict[str, Callable[[Message, Related, PrefixWriter], None]] = {
    "Pod": pods.describe_pod,
    "Deployment": workloads.describe_deployment,
    "ReplicaSet": workloads.describe_replicaset,
    "StatefulSet": workloads.describe_statefulset,
    "Node": workloads.describe_node,
    "Namespace": workloads.describe_namespace,
    "Service": network.describe_service,
    "Endpoints": network.describe_endpoints,
    "EndpointSlice": network.describe_endpointslice,
    "PersistentVolumeClaim": storage.describe_pvc,
    "PersistentVolume": storage.describe_pv,
    "StorageClass": storage.describe_storageclass,
    "ConfigMap": config.describe_config_map,
    "Secret": config.describe_secret,
}


def describe(obj: Message, kind: str, related: Related) -> str:
    """The describe page of obj, ending with its events when related.events is not None."""
    w = PrefixWriter()
    DESCRIBERS.get(kind, describe_generic)(obj, related, w)
    if related.events is not None:
        describe_events(w, related.events, related.now)
    return w.render()
