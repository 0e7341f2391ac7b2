"""The informer's cache and handler calls, driven with list results and watch events (no server)."""
from kubelab.api.v1 import core_pb2
from kubelab.informer import BY_LABEL, BY_NODE, BY_OWNER, SharedInformer, key_of, split_key


def pod(name, rv, uid=None, node="", labels=None, owner_uid=None, ns="ns"):
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = name, ns
    p.metadata.uid, p.metadata.resource_version = uid or f"uid-{name}", str(rv)
    p.metadata.labels.update(labels or {})
    p.spec.node_name = node
    if owner_uid:
        p.metadata.owner_references.add(kind="ReplicaSet", name="rs", uid=owner_uid, controller=True)
    return p


def recording(inf: SharedInformer) -> list[tuple]:
    calls = []
    inf.add_event_handler(on_add=lambda o: calls.append(("add", o.metadata.name, o.metadata.resource_version)),
                          on_update=lambda old, new: calls.append(("update", new.metadata.name,
                                                                   old.metadata.resource_version,
                                                                   new.metadata.resource_version)),
                          on_delete=lambda o: calls.append(("delete", o.metadata.name, o.metadata.resource_version)))
    return calls


def test_keys():
    assert key_of(pod("a", 1)) == "ns/a" and split_key("ns/a") == ("ns", "a")
    node = core_pb2.Node()
    node.metadata.name = "n1"
    assert key_of(node) == "n1" and split_key("n1") == ("", "n1")


def test_watch_events_old_or_repeated_are_dropped():
    inf = SharedInformer(None, "Pod")
    calls = recording(inf)
    inf._replace([pod("a", 5)], "5")
    inf._apply("MODIFIED", pod("a", 5), "5")  # repeated after a resume
    inf._apply("ADDED", pod("a", 4), "6")  # older than the cache
    inf._apply("MODIFIED", pod("a", 7), "7")
    inf._apply("DELETED", pod("b", 8), "8")  # never known
    inf._apply("DELETED", pod("a", 9), "9")
    inf._apply("DELETED", pod("a", 9), "9")
    assert calls == [("add", "a", "5"), ("update", "a", "5", "7"), ("delete", "a", "9")]
    assert inf.resource_version == "9" and len(inf) == 0


def test_recreated_under_same_name_is_delete_then_add():
    inf = SharedInformer(None, "Pod")
    calls = recording(inf)
    inf._replace([pod("a", 1, uid="u1")], "1")
    inf._apply("MODIFIED", pod("a", 3, uid="u2"), "3")
    assert calls[1:] == [("delete", "a", "1"), ("add", "a", "3")]


def test_relist_diff():
    inf = SharedInformer(None, "Pod")
    calls = recording(inf)
    inf._replace([pod("same", 1), pod("changed", 2), pod("gone", 3), pod("reborn", 4, uid="old")], "4")
    calls.clear()
    inf._replace([pod("same", 1), pod("changed", 9), pod("reborn", 10, uid="new"), pod("new", 11)], "11")
    assert sorted(calls) == sorted([("update", "changed", "2", "9"), ("delete", "gone", "3"),
                                    ("delete", "reborn", "4"), ("add", "reborn", "10"), ("add", "new", "11")])
    assert sorted(inf.keys()) == ["ns/changed", "ns/new", "ns/reborn", "ns/same"]


def test_indexes_follow_changes():
    inf = SharedInformer(None, "Pod")
    inf._replace([pod("a", 1, node="n1", labels={"app": "web"}, owner_uid="rs1"), pod("b", 2, node="n2")], "2")
    assert [p.metadata.name for p in inf.by_index(BY_NODE, "n1")] == ["a"]
    assert [p.metadata.name for p in inf.by_index(BY_OWNER, "rs1")] == ["a"]
    assert [p.metadata.name for p in inf.by_index(BY_LABEL, "app=web")] == ["a"]
    inf._apply("MODIFIED", pod("a", 3, node="n2", labels={"app": "db"}), "3")
    assert [p.metadata.name for p in inf.by_index(BY_NODE, "n2")] == ["a", "b"]
    assert inf.by_index(BY_NODE, "n1") == [] and inf.by_index(BY_OWNER, "rs1") == []
    assert inf.by_index(BY_LABEL, "app=web") == []
    inf.add_indexer("phase", lambda o: [o.metadata.name.upper()])  # custom, indexes what is there
    assert [p.metadata.name for p in inf.by_index("phase", "B")] == ["b"]


def test_handlers_get_their_own_copies_and_late_handlers_get_existing_objects():
    inf = SharedInformer(None, "Pod")
    seen = []

    def mutate(obj):
        obj.metadata.labels["touched"] = "yes"
        seen.append(obj)

    inf._replace([pod("a", 1)], "1")
    inf.add_event_handler(on_add=mutate)  # registered after the list: replays "a"
    inf.add_event_handler(on_add=mutate)
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert "touched" not in inf.get("ns/a").metadata.labels


def test_failing_handler_does_not_stop_others():
    inf = SharedInformer(None, "Pod")
    calls = []
    inf.add_event_handler(on_add=lambda o: 1 / 0)
    reg = inf.add_event_handler(on_add=lambda o: calls.append(o.metadata.name))
    inf._apply("ADDED", pod("a", 1), "1")
    reg.remove()
    inf._apply("ADDED", pod("b", 2), "2")
    assert calls == ["a"]
