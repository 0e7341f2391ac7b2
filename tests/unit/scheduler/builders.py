"""Objects for the scheduler's unit tests: nodes, pods, claims, volumes, classes, and a dict-backed
store with the informer's reading interface (get, by_index, add_indexer)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2, storage_pb2
from services.scheduler.nodeinfo import NodeInfo, new_pod_info


def node(name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110", labels: dict | None = None,
         taints: list[tuple[str, str, str]] = (), unschedulable: bool = False) -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = name
    n.metadata.labels.update({"kubernetes.io/hostname": name, **(labels or {})})
    for k, v in (("cpu", cpu), ("memory", memory), ("pods", pods)):
        n.status.allocatable[k] = v
        n.status.capacity[k] = v
    n.status.conditions.add(type="Ready", status="True")
    for key, value, effect in taints:
        n.spec.taints.add(key=key, value=value, effect=effect)
    n.spec.unschedulable = unschedulable
    return n


def node_info(n: core_pb2.Node, *pods: core_pb2.Pod) -> NodeInfo:
    ni = NodeInfo(n.metadata.name)
    ni.set_node(n)
    for p in pods:
        ni.add_pod(new_pod_info(p))
    return ni


def pod(name: str, cpu: str | None = None, memory: str | None = None, *, ns: str = "default", uid: str | None = None,
        node_selector: dict | None = None, claims: list[str] = (), tolerations: list[dict] = (),
        priority: int | None = None, node_name: str = "") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, ns, uid or f"uid-{name}"
    c = p.spec.containers.add(name="c", image="busybox")
    if cpu:
        c.resources.requests["cpu"] = cpu
    if memory:
        c.resources.requests["memory"] = memory
    p.spec.node_selector.update(node_selector or {})
    for claim in claims:
        p.spec.volumes.add(name=claim, persistent_volume_claim=core_pb2.PersistentVolumeClaimVolumeSource(
            claim_name=claim))
    for t in tolerations:
        p.spec.tolerations.add(**t)
    if priority is not None:
        p.spec.priority = priority
    p.spec.node_name = node_name
    p.spec.scheduler_name = "default-scheduler"
    return p


def claim(name: str, storage: str = "1Gi", cls: str | None = "standard", modes: tuple[str, ...] = ("ReadWriteOnce",),
          ns: str = "default", volume: str = "", bound: bool = False, rv: str = "1") -> core_pb2.PersistentVolumeClaim:
    c = core_pb2.PersistentVolumeClaim()
    c.metadata.name, c.metadata.namespace, c.metadata.uid = name, ns, f"uid-{name}"
    c.metadata.resource_version = rv
    c.spec.access_modes.extend(modes)
    c.spec.resources.requests["storage"] = storage
    if cls is not None:
        c.spec.storage_class_name = cls
    c.spec.volume_name = volume
    if bound:
        c.metadata.annotations["pv.kubernetes.io/bind-completed"] = "yes"
        c.status.phase = "Bound"
    else:
        c.status.phase = "Pending"
    return c


def volume(name: str, storage: str = "1Gi", cls: str = "standard", modes: tuple[str, ...] = ("ReadWriteOnce",),
           node: str | None = None, claim_ref: core_pb2.PersistentVolumeClaim | None = None,
           phase: str = "Available", rv: str = "1") -> core_pb2.PersistentVolume:
    pv = core_pb2.PersistentVolume()
    pv.metadata.name, pv.metadata.resource_version = name, rv
    pv.spec.capacity["storage"] = storage
    pv.spec.access_modes.extend(modes)
    pv.spec.storage_class_name = cls
    if node is not None:
        term = pv.spec.node_affinity.required.node_selector_terms.add()
        term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=[node])
    if claim_ref is not None:
        ref = pv.spec.claim_ref
        ref.namespace, ref.name, ref.uid = claim_ref.metadata.namespace, claim_ref.metadata.name, claim_ref.metadata.uid
        phase = "Bound"
    pv.status.phase = phase
    return pv


def storage_class(name: str = "standard", provisioner: str = "kubelab.io/local-path",
                  mode: str = "WaitForFirstConsumer", zones: list[str] | None = None) -> storage_pb2.StorageClass:
    sc = storage_pb2.StorageClass(provisioner=provisioner, volume_binding_mode=mode)
    sc.metadata.name = name
    if zones is not None:
        term = sc.allowed_topologies.add()
        term.match_label_expressions.add(key="topology.kubernetes.io/zone", values=zones)
    return sc


def _key(obj) -> str:
    m = obj.metadata
    return f"{m.namespace}/{m.name}" if m.namespace else m.name


class Store:
    """The informer's read side over a dict (objects are returned as they are, not copied)."""

    def __init__(self, *objs):
        self.items = {_key(o): o for o in objs}
        self._indexers = {}

    def put(self, obj) -> None:
        self.items[_key(obj)] = obj

    def get(self, key: str):
        return self.items.get(key)

    def add_indexer(self, name, fn) -> None:
        self._indexers[name] = fn

    def by_index(self, name: str, value: str) -> list:
        return [o for o in self.items.values() if value in self._indexers[name](o)]
