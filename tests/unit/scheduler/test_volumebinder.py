"""PreBind's volume binding: what it writes, and how it waits for the PV controller (no real API:
the store is changed by the test, playing the binder, and `notify` is called as the informer
handlers would)."""
import asyncio

from kubelab.storage.volume import ANN_SELECTED_NODE
from services.scheduler.volumebinder import VolumeBinder
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, claim, node, pod, storage_class, volume


class FakeClient:
    def __init__(self):
        self.calls = []

    async def update(self, obj):
        self.calls.append(("update", obj.metadata.name))
        return obj

    async def patch(self, kind, name, patch, namespace=""):
        """The claim as the API returns it: annotated, resourceVersion 2."""
        self.calls.append(("patch", kind, name, patch))
        out = claim(name, rv="2")
        out.metadata.annotations.update(patch["metadata"]["annotations"])
        return out


def setup(claims=(), volumes=()):
    pvcs, pvs = Store(*claims), Store(*volumes)
    cache = VolumeCache(pvcs, pvs, Store(storage_class()))
    labels = {"node-1": dict(node("node-1").metadata.labels), "node-2": dict(node("node-2").metadata.labels)}
    client = FakeClient()
    return VolumeBinder(client, cache, lambda n: labels[n], bind_timeout=2.0), cache, pvcs, pvs, client


async def test_dynamic_claim_is_annotated_then_waits_until_bound():
    c = claim("data")
    binder, cache, pvcs, pvs, client = setup(claims=[c])
    task = asyncio.create_task(binder.bind_pod_volumes(pod("p"), "node-1", [], [c]))
    await asyncio.sleep(0)
    assert client.calls == [("patch", "PersistentVolumeClaim", "data",
                             {"metadata": {"annotations": {ANN_SELECTED_NODE: "node-1"}}})]
    cache.notify("default/data")  # the informer still shows version 1, without the annotation
    await asyncio.sleep(0)
    assert not task.done()
    annotated = claim("data", rv="2")
    annotated.metadata.annotations[ANN_SELECTED_NODE] = "node-1"
    pvcs.put(annotated)  # our write reaches the informer
    cache.notify("default/data")
    await asyncio.sleep(0)
    assert not task.done()
    bound = claim("data", volume="pvc-1", bound=True, rv="3")
    bound.metadata.annotations[ANN_SELECTED_NODE] = "node-1"
    pvs.put(volume("pvc-1", node="node-1", claim_ref=bound))
    pvcs.put(bound)
    cache.notify("default/data")
    assert (await task).success


async def test_timeout_sends_the_pod_back_with_upstreams_message():
    c = claim("data", rv="2")
    c.metadata.annotations[ANN_SELECTED_NODE] = "node-1"
    binder, *_ = setup(claims=[c])
    binder.bind_timeout = 0.05
    st = await binder.bind_pod_volumes(pod("p"), "node-1", [], [c])
    assert not st.success and st.message == "binding volumes: context deadline exceeded"


async def test_selected_node_reset_by_the_provisioner_fails_at_once():
    c = claim("data")
    binder, cache, pvcs, *_ = setup(claims=[c])
    binder.bind_timeout = 30
    task = asyncio.create_task(binder.bind_pod_volumes(pod("p"), "node-1", [], [c]))
    await asyncio.sleep(0)
    pvcs.put(claim("data", rv="3"))  # provisioning failed: the annotation is removed
    cache.notify("default/data")
    st = await asyncio.wait_for(task, 5)
    assert st.message == 'binding volumes: selectedNode annotation reset for PVC "data"'


async def test_volume_provisioned_on_another_node_fails():
    c = claim("data", volume="pvc-1", bound=True, rv="5")
    c.metadata.annotations[ANN_SELECTED_NODE] = "node-1"
    binder, *_ = setup(claims=[c], volumes=[volume("pvc-1", node="node-2", claim_ref=c)])
    st = await binder.bind_pod_volumes(pod("p"), "node-1", [], [c])
    assert st.message == "binding volumes: pv \"pvc-1\" node affinity doesn't match node \"node-1\""


async def test_static_binding_writes_the_claim_ref_and_waits_for_the_claim():
    c = claim("data")
    pv = volume("pv-1", node="node-1", claim_ref=c)
    binder, cache, pvcs, pvs, client = setup(claims=[c], volumes=[pv])
    task = asyncio.create_task(binder.bind_pod_volumes(pod("p"), "node-1", [(c, pv)], []))
    await asyncio.sleep(0)
    assert client.calls == [("update", "pv-1")]
    pvcs.put(claim("data", volume="pv-1", bound=True, rv="2"))
    cache.notify("default/data")
    assert (await task).success


async def test_claim_ref_taken_by_another_claim_fails():
    c = claim("data")
    pv = volume("pv-1", node="node-1", claim_ref=claim("other"))
    binder, *_ = setup(claims=[c], volumes=[pv])
    st = await binder.bind_pod_volumes(pod("p"), "node-1", [(c, pv)], [])
    assert st.message == 'binding volumes: ClaimRef got bound to different pvc for pv "pv-1"'
