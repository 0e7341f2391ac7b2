"""services/apiserver/wire.py against the generated messages: what it writes parses as the message
it claims to be, and equals what the generated code writes where proto3 would write every field."""
from __future__ import annotations

import pytest

from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2 as pb
from kubelab.api.v1 import core_pb2
from services.apiserver import wire


def _pod(name: str, note: str = "") -> bytes:
    pod = core_pb2.Pod()
    pod.metadata.name = name
    pod.metadata.namespace = "default"
    pod.metadata.resource_version = "7"
    if note:
        pod.metadata.annotations["note"] = note
    return registry.wrap(pod).SerializeToString()


# Objects whose lengths need a 1-, 2- and 3-byte varint, a unicode name, and an empty Object.
OBJECTS = {
    "small": _pod("a"),
    "two-byte length": _pod("b", "x" * 200),
    "three-byte length": _pod("c", "y" * 20000),
    "unicode": _pod("é-名前-🙂", "ünïcödé ✓"),
    "empty": pb.Object().SerializeToString(),
}


@pytest.mark.parametrize("n, encoded", [
    (0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
    (16383, b"\xff\x7f"), (16384, b"\x80\x80\x01"), (2**64 - 1, b"\xff" * 9 + b"\x01"),
])
def test_varint(n, encoded):
    assert wire.varint(n) == encoded


def test_varint_rejects_negative():
    with pytest.raises(ValueError, match="negative"):
        wire.varint(-1)


@pytest.mark.parametrize("label", OBJECTS)
@pytest.mark.parametrize("etype", ["ADDED", "MODIFIED", "DELETED"])
def test_watch_event(label, etype):
    obj = OBJECTS[label]
    encoded = wire.watch_event(etype, obj, 2**40)
    expected = pb.WatchEvent(type=etype, object=pb.Object.FromString(obj), resource_version=str(2**40))
    assert pb.WatchEvent.FromString(encoded) == expected
    if obj:  # the generated code omits an empty object; otherwise the bytes are the same
        assert encoded == expected.SerializeToString()


def test_bookmark():
    encoded = wire.bookmark(12)
    assert pb.WatchEvent.FromString(encoded) == pb.WatchEvent(type="BOOKMARK", resource_version="12")
    assert not pb.WatchEvent.FromString(encoded).HasField("object")
    assert encoded == pb.WatchEvent(type="BOOKMARK", resource_version="12").SerializeToString()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_watch_event_batch(count):
    objs = list(OBJECTS.values())[:count]
    events = [wire.watch_event("MODIFIED", o, i + 1) for i, o in enumerate(objs)]
    encoded = b"".join(wire.batch_entry(e) for e in events)
    batch = pb.WatchEventBatch.FromString(encoded)
    assert list(batch.events) == [pb.WatchEvent.FromString(e) for e in events]
    assert [registry.unwrap(e.object).metadata.name if o else None for e, o in zip(batch.events, objs)] == \
        [registry.unwrap(pb.Object.FromString(o)).metadata.name if o else None for o in objs]


def test_batch_of_a_bookmark():
    batch = pb.WatchEventBatch.FromString(wire.batch_entry(wire.bookmark(3)))
    assert [(e.type, e.resource_version) for e in batch.events] == [("BOOKMARK", "3")]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_list_response(count):
    objs = list(OBJECTS.values())[:count]
    encoded = wire.list_response(objs, 99)
    expected = pb.ListResponse(items=[pb.Object.FromString(o) for o in objs], resource_version="99")
    assert pb.ListResponse.FromString(encoded) == expected
    assert encoded == expected.SerializeToString()


def test_generated_messages_decode_back():
    """The other way: what the generated code writes splits into the fields wire writes."""
    obj = OBJECTS["unicode"]
    msg = pb.WatchEvent(type="ADDED", object=pb.Object.FromString(obj), resource_version="5")
    assert msg.SerializeToString() == wire.field(1, b"ADDED") + wire.field(2, obj) + wire.field(3, b"5")
    name = "é-名前-🙂"
    assert wire.field(1, name.encode()) == pb.WatchEvent(type=name).SerializeToString()


@pytest.mark.parametrize("info", registry.KINDS, ids=lambda k: k.kind)
def test_an_answer_is_the_object_wrapped(info):
    """Create, Update, UpdateStatus and Get answer with the object's bytes as the Object's field: the
    same message registry.wrap builds, for every kind."""
    from services.apiserver.servicer import _wrapped
    msg = info.message()
    msg.metadata.name, msg.metadata.namespace, msg.metadata.resource_version = "x-1", "ns", "42"
    msg.metadata.labels["app"] = "web"
    parsed = pb.Object.FromString(_wrapped(msg))
    assert parsed == registry.wrap(msg)
    assert registry.unwrap(parsed) == msg
