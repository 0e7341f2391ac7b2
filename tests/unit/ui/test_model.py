"""services/ui/model.py and hub.py: views into the SSE messages a page applies, and bounded fan-out."""
import asyncio
import json

from services.ui.hub import CUT_OFF, Hub
from services.ui.model import EVENTS_KEPT, Model, encode


def test_only_changed_views_become_ops_in_order():
    m = Model()
    ops = m.apply({("Pod", "default/web-0"): {"status": "Pending"}, ("Node", "node-1"): {"status": "Ready"}})
    assert [(o["op"], o["kind"], o["key"]) for o in ops] == [("put", "Pod", "default/web-0"), ("put", "Node", "node-1")]
    assert m.apply({("Pod", "default/web-0"): {"status": "Pending"}}) == []  # the same view: nothing to send
    assert m.apply({("Pod", "default/web-0"): {"status": "Running"}}) == [
        {"op": "put", "kind": "Pod", "key": "default/web-0", "view": {"status": "Running"}}]
    assert m.apply({("Pod", "default/web-0"): None}) == [{"op": "del", "kind": "Pod", "key": "default/web-0"}]
    assert m.apply({("Pod", "default/web-0"): None}) == []  # already gone: a repeated delete is nothing


def test_snapshot_is_the_current_picture_with_the_newest_events():
    m = Model()
    m.apply({("Event", f"default/e{i}"): {"time": i} for i in range(EVENTS_KEPT + 10)})
    m.apply({("Node", "node-1"): {"status": "Ready"}, ("Node", "node-2"): {"status": "Ready"}})
    m.apply({("Node", "node-2"): None})
    snap = m.snapshot()
    assert snap["objects"]["Node"] == {"node-1": {"status": "Ready"}}
    assert len(snap["objects"]["Event"]) == EVENTS_KEPT and "default/e0" not in snap["objects"]["Event"]


def test_encode_is_one_sse_data_line():
    raw = encode({"type": "batch", "ops": [{"op": "put", "kind": "Pod", "key": "a/b", "view": {"m": "x\ny"}}]})
    assert raw.startswith(b"data: ") and raw.endswith(b"\n\n") and raw.count(b"\n") == 2
    assert json.loads(raw[6:])["ops"][0]["view"]["m"] == "x\ny"


async def test_hub_gives_each_page_its_snapshot_first_and_cuts_off_a_stalled_one():
    hub = Hub(limit=3)
    fast, slow = hub.subscribe(b"snap-fast"), hub.subscribe(b"snap-slow")
    assert await fast.next() == b"snap-fast"
    for i in range(3):
        hub.publish(b"m%d" % i)
        assert await fast.next() == b"m%d" % i
    assert slow not in hub.subscribers and await asyncio.wait_for(slow.next(), 1) == CUT_OFF
    hub.publish(b"m3")
    assert await fast.next() == b"m3"


def test_component_view_is_a_ps_row_with_its_lease():
    from kubelab.cluster.status import Row
    from kubelab.manifest import from_dict
    from services.ui.components import _lease_of, component_view

    lease = from_dict({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": "scheduler", "namespace": "kube-system"},
                       "spec": {"holderIdentity": "h_scheduler-2_ab", "leaseDurationSeconds": 15,
                                "renewTime": "2026-12-05T10:00:00.000000Z"}})
    leases = {"scheduler": lease}
    assert _lease_of("scheduler-2", leases) is lease and _lease_of("scheduler", leases) is lease
    assert _lease_of("node-1", leases) is None and _lease_of("redis", leases) is None
    row = Row("scheduler-2", 42, "paused,partitioned", "NOT_SERVING", "leader", "127.0.0.1:1")
    v = component_view(row, lease, True)
    assert (v["state"], v["role"], v["pid"], v["actions"]) == ("paused,partitioned", "leader", 42, True)
    assert v["lease"] == {"holder": "h_scheduler-2_ab", "duration": 15, "renewed": 1796464800.0}  # 2026-12-05T10:00:00Z
