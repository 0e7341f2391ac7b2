"""Stand-ins the integration tests use for the components they do not run: the node agents (pods
reported Running and Ready) and the storage controllers (each claim bound to a volume of its own)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_not_found

__all__ = ["set_state", "Kubelet", "Binder"]


async def set_state(client: Client, pod: core_pb2.Pod, phase: str = "Running", ready: bool = True) -> None:
    """Play the kubelet: report the pod's phase and Ready condition."""
    for _ in range(20):
        pod.status.phase = phase
        del pod.status.conditions[:]
        cond = pod.status.conditions.add(type="Ready", status="True" if ready else "False")
        cond.last_transition_time.GetCurrentTime()
        try:
            await client.update_status(pod)
            return
        except ApiError as e:
            if not is_conflict(e):
                raise
            pod = await client.get("Pod", pod.metadata.name, pod.metadata.namespace)
    raise AssertionError(f"could not update the status of {pod.metadata.name}")


class Kubelet:
    """A stand-in for the node agents: every pod of the namespace that appears is reported Running and
    Ready at once (unless held), so controllers move on; `created` records creations in order."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.hold: set[str] = set()
        self.hooks: list = []
        """Called with each watch event, in the watch's order (e.g. to kill the controller at a moment)."""

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            pod = ev.object
            if ev.type == "ADDED":
                self.created.append(pod.metadata.name)
            if ev.type == "DELETED":
                self.deleted.append(pod.metadata.name)
            for hook in list(self.hooks):
                hook(ev)
            if ev.type == "DELETED":
                continue
            if pod is None or pod.metadata.HasField("deletion_timestamp") or pod.metadata.name in self.hold:
                continue
            if pod.status.phase == "Pending":
                try:
                    await set_state(self.client, pod)
                except ApiError as e:
                    if not is_not_found(e):
                        raise


class Binder:
    """A stand-in for the storage controllers: every new claim of the namespace gets a PersistentVolume of
    its own and is bound to it (PV claimRef, claim volumeName, both phases Bound). Records claim
    creations and deletions in order."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.volumes: dict[str, str] = {}  # claim name -> PV name
        self.hooks: list = []

    async def run(self) -> None:
        async for ev in self.client.watch("PersistentVolumeClaim", self.ns):
            claim = ev.object
            if ev.type == "ADDED":
                self.created.append(claim.metadata.name)
            elif ev.type == "DELETED":
                self.deleted.append(claim.metadata.name)
            for hook in list(self.hooks):
                hook(ev)
            if ev.type == "DELETED":
                continue
            if claim is not None and not claim.spec.volume_name and not claim.metadata.HasField("deletion_timestamp"):
                try:
                    await self.bind(claim)
                except ApiError as e:
                    if not (is_not_found(e) or is_conflict(e)):
                        raise

    async def bind(self, claim: core_pb2.PersistentVolumeClaim) -> None:
        pv = core_pb2.PersistentVolume()
        pv.metadata.name = f"pvc-{claim.metadata.uid}"
        pv.spec.capacity["storage"] = claim.spec.resources.requests["storage"]
        pv.spec.access_modes.extend(claim.spec.access_modes)
        pv.spec.host_path.path = f"/tmp/kubelab-test/{pv.metadata.name}"
        ref = pv.spec.claim_ref
        ref.kind, ref.namespace, ref.name, ref.uid = ("PersistentVolumeClaim", claim.metadata.namespace,
                                                      claim.metadata.name, claim.metadata.uid)
        try:
            pv = await self.client.create(pv)
        except ApiError as e:
            if not is_already_exists(e):
                raise
            pv = await self.client.get("PersistentVolume", pv.metadata.name)
        pv.status.phase = "Bound"
        await self.client.update_status(pv)
        claim.spec.volume_name = pv.metadata.name
        claim = await self.client.update(claim)
        claim.status.phase = "Bound"
        claim.status.capacity["storage"] = pv.spec.capacity["storage"]
        await self.client.update_status(claim)
        self.volumes[claim.metadata.name] = pv.metadata.name
