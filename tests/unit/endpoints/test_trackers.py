"""The trigger-time tracker (earliest change not yet written) and the write expectations."""
from __future__ import annotations

from kubelab.api.v1 import discovery_pb2
from services.endpoints.tracker import WriteTracker
from services.endpoints.trigger_time import TriggerTimeTracker
from tests.unit.endpoints.objects import pod, service


def test_trigger_time_is_the_service_creation_first_then_the_earliest_change():
    t = TriggerTimeTracker()
    svc = service()
    assert t.compute("default/web", svc, [pod("a", ready_at=2000)]) == (1000, 0)
    assert t.compute("default/web", svc, [pod("a", ready_at=2000)]) is None
    assert t.compute("default/web", svc, [pod("a", ready_at=2500), pod("b", ready_at=2200)]) == (2200, 0)
    t.forget("default/web")
    assert t.compute("default/web", svc, []) == (1000, 0)


def written(rv: str) -> discovery_pb2.EndpointSlice:
    es = discovery_pb2.EndpointSlice()
    es.metadata.resource_version = rv
    return es


def test_write_tracker_waits_for_the_cache_then_gives_up():
    now = [0.0]
    t = WriteTracker("EndpointSlice", lambda: now[0], timeout=30)
    assert t.caught_up("k", "5")
    t.wrote("k", written("10"))
    t.wrote("k", written("12"))
    assert not t.caught_up("k", "11")
    assert t.caught_up("k", "12") and t.caught_up("k", "0")  # forgotten once seen
    t.wrote("k", written("20"))
    now[0] = 31
    assert t.caught_up("k", "19")  # a lost event does not block the Service for ever
