from kubelab.expectations import EXPECTATIONS_TIMEOUT, ControllerExpectations, UIDTrackingExpectations
from kubelab.workqueue import FakeClock


def test_unknown_key_is_satisfied():
    assert ControllerExpectations(FakeClock()).satisfied("ns/rs")


def test_creations_block_until_observed():
    exp = ControllerExpectations(FakeClock())
    exp.expect_creations("ns/rs", 2)
    assert not exp.satisfied("ns/rs")
    exp.creation_observed("ns/rs")
    assert not exp.satisfied("ns/rs")
    exp.creation_observed("ns/rs")
    assert exp.satisfied("ns/rs")


def test_over_observation_still_satisfied():
    exp = ControllerExpectations(FakeClock())
    exp.expect_creations("k", 1)
    exp.creation_observed("k")
    exp.creation_observed("k")
    assert exp.get("k").add == -1 and exp.satisfied("k")


def test_deletions_block_until_observed():
    exp = ControllerExpectations(FakeClock())
    exp.expect_deletions("k", 1)
    assert not exp.satisfied("k")
    exp.deletion_observed("k")
    assert exp.satisfied("k")


def test_expire_after_timeout():
    clock = FakeClock()
    exp = ControllerExpectations(clock)
    exp.expect_creations("k", 5)
    clock.advance(EXPECTATIONS_TIMEOUT)
    assert not exp.satisfied("k")  # client-go: expired only once strictly older than the timeout
    clock.advance(0.001)
    assert exp.satisfied("k")


def test_set_restarts_timeout():
    clock = FakeClock()
    exp = ControllerExpectations(clock)
    exp.expect_creations("k", 1)
    clock.advance(EXPECTATIONS_TIMEOUT - 1)
    exp.expect_creations("k", 1)
    clock.advance(2)
    assert not exp.satisfied("k")


def test_raise_lower_and_delete():
    exp = ControllerExpectations(FakeClock())
    exp.raise_expectations("missing", 1, 1)  # no-op without expectations
    assert exp.get("missing") is None
    exp.set_expectations("k", 1, 1)
    exp.raise_expectations("k", 1, 0)
    exp.lower_expectations("k", 2, 1)
    assert exp.satisfied("k")
    exp.delete_expectations("k")
    assert exp.get("k") is None and len(exp) == 0


def test_uid_tracking_counts_each_pod_once():
    exp = UIDTrackingExpectations(FakeClock())
    exp.expect_pod_deletions("ns/rs", ["ns/a", "ns/b"])
    assert exp.deleting("ns/rs") == {"ns/a", "ns/b"}
    exp.pod_deletion_observed("ns/rs", "ns/a")
    exp.pod_deletion_observed("ns/rs", "ns/a")  # seen terminating, then deleted
    exp.pod_deletion_observed("ns/rs", "ns/other")  # not one we deleted
    assert not exp.satisfied("ns/rs")
    exp.pod_deletion_observed("ns/rs", "ns/b")
    assert exp.satisfied("ns/rs")
    exp.delete_expectations("ns/rs")
    assert exp.deleting("ns/rs") == frozenset()
