"""The test's stand-in for the PV controller and provisioner (services/provisioner is written in
parallel): classes, claims, and the binder's writes in Kubernetes' order (§3.1)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.client import Client

SELECTED_NODE = "volume.kubernetes.io/selected-node"


async def create_class(client: Client, name: str = "standard", mode: str = "WaitForFirstConsumer",
                       provisioner: str = "kubelab.io/local-path") -> None:
    sc = storage_pb2.StorageClass(provisioner=provisioner, volume_binding_mode=mode, reclaim_policy="Delete")
    sc.metadata.name = name
    await client.create(sc)


async def create_claim(client: Client, name: str, cls: str = "standard", modes=("ReadWriteOnce",),
                       storage: str = "1Gi", ns: str = "default") -> core_pb2.PersistentVolumeClaim:
    pvc = core_pb2.PersistentVolumeClaim()
    pvc.metadata.name, pvc.metadata.namespace = name, ns
    pvc.spec.access_modes.extend(modes)
    pvc.spec.resources.requests["storage"] = storage
    pvc.spec.storage_class_name = cls
    return await client.create(pvc)


async def provision(client: Client, claim_name: str, node: str | None, ns: str = "default") -> str:
    """Create a PV for the claim (pinned to `node` if given) and bind both, as the PV controller does."""
    pvc = await client.get("PersistentVolumeClaim", claim_name, ns)
    pv = core_pb2.PersistentVolume()
    pv.metadata.name = f"pvc-{pvc.metadata.uid}"
    pv.metadata.annotations["pv.kubernetes.io/provisioned-by"] = "kubelab.io/local-path"
    pv.spec.capacity["storage"] = pvc.spec.resources.requests["storage"]
    pv.spec.access_modes.extend(pvc.spec.access_modes)
    pv.spec.storage_class_name = pvc.spec.storage_class_name
    pv.spec.persistent_volume_reclaim_policy = "Delete"
    pv.spec.host_path.path = f"/var/lib/kubelab/local-path/{pv.metadata.name}_{ns}_{claim_name}"
    if node is not None:
        term = pv.spec.node_affinity.required.node_selector_terms.add()
        term.match_expressions.add(key="kubernetes.io/hostname", operator="In", values=[node])
    ref = pv.spec.claim_ref
    ref.kind, ref.namespace, ref.name, ref.uid = "PersistentVolumeClaim", ns, claim_name, pvc.metadata.uid
    pv = await client.create(pv)
    pv.status.phase = "Bound"
    await client.update_status(pv)
    pvc.spec.volume_name = pv.metadata.name
    pvc.metadata.annotations["pv.kubernetes.io/bind-completed"] = "yes"
    pvc.metadata.annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
    pvc = await client.update(pvc)
    pvc.status.phase = "Bound"
    pvc.status.access_modes.extend(pv.spec.access_modes)
    pvc.status.capacity["storage"] = pv.spec.capacity["storage"]
    await client.update_status(pvc)
    return pv.metadata.name
