"""services/ui/timeline.py and its wiring: the timeline strip's lines from informer calls and the journal,
through the model to the page's messages."""
import json

from kubelab.cluster import journal
from kubelab.informer import SharedInformer
from kubelab.manifest import from_dict
from services.ui.components import Components
from services.ui.hub import Hub
from services.ui.model import CHANGES_KEPT, Model
from services.ui.timeline import CHANGE, change_views, changes, journal_views
from services.ui.watcher import Watcher

T0 = "2026-12-05T10:00:00Z"


def pod(node: str = "", ready: str | None = None, deleting: bool = False):
    conditions = []
    if node:
        conditions.append({"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-12-05T10:00:01Z"})
    if ready:
        conditions.append({"type": "Ready", "status": ready, "lastTransitionTime": "2026-12-05T10:00:03Z"})
    meta = {"name": "web-0", "namespace": "default", "uid": "u1", "creationTimestamp": T0, "resourceVersion": "1"}
    if deleting:
        meta |= {"deletionTimestamp": "2026-12-05T10:01:00Z", "deletionGracePeriodSeconds": 30}
    return from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                      "spec": {"nodeName": node, "containers": [{"name": "app", "image": "pause"}]},
                      "status": {"phase": "Running" if ready else "Pending", "conditions": conditions}})


def whats(entries) -> list[str]:
    return [e.what for e in entries]


def test_an_object_of_the_first_list_tells_its_past():
    lines = changes("Pod", None, pod("node-1", "True"), synced=False, now=0)
    assert whats(lines) == ["created", "scheduled to node-1", "Ready"]
    assert [e.actor for e in lines] == ["-", "default-scheduler", "kubelet/node-1"]


def test_a_watched_change_is_what_changed_at_that_moment():
    now = 1796464900.5
    assert whats(changes("Pod", None, pod(), synced=True, now=now)) == ["created", "phase Pending"]
    bound = changes("Pod", pod(), pod("node-2"), synced=True, now=now)
    assert whats(bound) == ["scheduled to node-2"] and bound[0].time == now
    assert whats(changes("Pod", pod("node-2"), pod("node-2", "True"), True, now)) == ["phase Running", "Ready"]
    assert whats(changes("Pod", pod("node-2", "True"), pod("node-2", "True", deleting=True), True, now)) == [
        "Terminating (grace 30s)"]
    assert whats(changes("Pod", pod("node-2"), None, True, now)) == ["deleted"]


def test_lease_holder_changes_but_not_node_heartbeats():
    def lease(ns: str, holder: str):
        return from_dict({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                          "metadata": {"name": "scheduler", "namespace": ns}, "spec": {"holderIdentity": holder}})
    lines = changes("Lease", lease("kube-system", "a"), lease("kube-system", "b"), True, 1.0)
    assert whats(lines) == ["leader: b (was a)"] and lines[0].actor == "b"
    assert changes("Lease", lease("kube-node-lease", "a"), lease("kube-node-lease", "b"), True, 1.0) == []
    assert changes("Event", None, None, True, 1.0) == []  # Events are drawn as Events, not repeated


def test_the_same_line_has_the_same_key_so_a_repeat_sends_nothing():
    lines = changes("Pod", None, pod("node-1", "True"), synced=False, now=0)
    views = change_views(lines)
    assert views == change_views(changes("Pod", None, pod("node-1", "True"), synced=False, now=0))
    assert {v["what"] for v in views.values()} == {"created", "scheduled to node-1", "Ready"}
    assert all(kind == CHANGE for kind, _ in views)
    m = Model()
    assert len(m.apply(views)) == 3 and m.apply(views) == []


def test_component_lines_from_the_journal():
    views = journal_views([{"time": 5.0, "event": "killed", "name": "scheduler", "pid": 7},
                           {"time": 6.0, "event": "partitioned", "name": "node-2", "mode": "reject"}])
    got = sorted((v["kind"], v["name"], v["what"], v["actor"]) for v in views.values())
    assert got == [("Component", "node-2", "partitioned: its connection to its upstream is cut "
                                           "(new connections refused)", "kubelab"),
                   ("Component", "scheduler", "killed (SIGKILL): it stays down until `kubelab start`", "kubelab")]


def test_the_model_keeps_the_newest_lines_and_tells_the_page_which_it_dropped():
    m = Model()
    line = lambda t: {"time": t, "what": f"line {t}"}  # noqa: E731
    m.apply({(CHANGE, f"k{t}"): line(t) for t in range(CHANGES_KEPT)})
    ops = m.apply({(CHANGE, "new"): line(10_000), (CHANGE, "ancient"): line(-1)})
    assert [(o["op"], o["key"]) for o in ops] == [("put", "new"), ("del", "k0")]  # "ancient": never sent
    assert len(m.views[CHANGE]) == CHANGES_KEPT and "ancient" not in m.views[CHANGE]
    assert len(m.snapshot()["objects"][CHANGE]) == CHANGES_KEPT


class Informers:
    """An InformerFactory whose informers are fed by the test (no API server)."""

    def __init__(self):
        self.made: dict[str, SharedInformer] = {}

    def informer(self, kind: str) -> SharedInformer:
        return self.made.setdefault(kind, SharedInformer(None, kind))


def published(hub_sub) -> list[dict]:
    out = []
    while not hub_sub.queue.empty():
        out.append(json.loads(hub_sub.queue.get_nowait()[len(b"data: "):]))
    return out


async def test_the_watches_feed_the_timeline_into_the_pages_messages():
    informers, hub = Informers(), Hub()
    watcher = Watcher(informers, hub)
    pods = informers.made["Pod"]
    pods._replace([pod()], "1")  # the first list: the pod's past
    pods._synced.set()
    sub = hub.subscribe(b"data: {}")
    watcher.flush()
    later = pod("node-1")
    later.metadata.resource_version = "2"
    pods._apply("MODIFIED", later, "2")  # a watch event: what changed
    watcher.flush()
    messages = published(sub)[1:]
    lines = [[op["view"]["what"] for op in msg["ops"] if op["kind"] == CHANGE] for msg in messages]
    assert lines == [["created"], ["scheduled to node-1"]]
    assert any(op["kind"] == "Pod" for op in messages[1]["ops"])  # the pod's own view moves along


def test_components_read_only_what_is_new_in_the_journal(tmp_path):
    (tmp_path / "cluster.json").write_text("{}")  # what makes it a launcher's state dir
    comps = Components(str(tmp_path), leases=None, put_views=None)
    assert comps.managed and comps.journal_lines() == {}
    journal.append(tmp_path, "killed", "scheduler", at=10.0, pid=1)
    assert [v["what"].split(" ")[0] for v in comps.journal_lines().values()] == ["killed"]
    assert comps.journal_lines() == {}  # nothing new
    journal.append(tmp_path, "started", "scheduler", at=11.0, pid=2)
    assert [(v["name"], v["what"]) for v in comps.journal_lines().values()] == [("scheduler", "started")]
