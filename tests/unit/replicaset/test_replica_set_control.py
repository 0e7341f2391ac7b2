"""ReplicaSet decisions: the diff, slow-start batches, the status, and when to look again."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import apps_pb2
from services.replicaset.pod_control import new_pod
from services.replicaset.replica_set_control import (calculate_status, min_ready_requeue, plan_replicas,
                                                     slow_start_batches)
from tests.unit.replicaset.builders import NOW, deployment, pod, replica_set


def rs(replicas: int, min_ready: int = 0) -> apps_pb2.ReplicaSet:
    out = replica_set("web-abc", replicas)
    out.spec.min_ready_seconds = min_ready
    out.spec.template.metadata.labels["pod-template-hash"] = "abc"
    out.status.Clear()
    return out


def test_too_few_pods_creates_the_difference_capped_by_burst():
    assert plan_replicas(rs(5), [pod("a")], [], NOW).create == 4
    assert plan_replicas(rs(900), [], [], NOW).create == 500
    assert plan_replicas(rs(2), [pod("a"), pod("b")], [], NOW).empty


def test_too_many_pods_deletes_the_lowest_ranked():
    pods = [pod("a", node="n"), pod("b", node="n", ready=False), pod("c", node="n")]
    assert [p.metadata.name for p in plan_replicas(rs(2), pods, pods, NOW).delete] == ["b"]


@pytest.mark.parametrize("count,batches", [(0, []), (1, [1]), (3, [1, 2]), (7, [1, 2, 4]), (10, [1, 2, 4, 3]),
                                           (16, [1, 2, 4, 8, 1])])
def test_slow_start_batches_double(count, batches):
    assert slow_start_batches(count) == batches


def test_status_counts_labels_readiness_and_availability():
    s = rs(4, min_ready=30)
    pods = [pod("a", ready_at=NOW - 60, labels={"app": "web", "pod-template-hash": "abc"}),
            pod("b", ready_at=NOW - 5, labels={"app": "web", "pod-template-hash": "abc", "extra": "x"}),
            pod("c", ready=False, labels={"app": "web"}), pod("d", ready_at=NOW - 31)]
    s.metadata.generation = 7
    status = calculate_status(s, pods, None, NOW)
    assert (status.replicas, status.fully_labeled_replicas, status.ready_replicas, status.available_replicas) == \
        (4, 2, 3, 2)
    assert status.observed_generation == 7


def test_a_failed_create_shows_as_replica_failure_until_it_succeeds():
    s = rs(3)
    status = calculate_status(s, [pod("a")], 'pods "web-abc-x" is forbidden: quota', NOW)
    cond = status.conditions[0]
    assert (cond.type, cond.status, cond.reason) == ("ReplicaFailure", "True", "FailedCreate")
    assert cond.message == 'pods "web-abc-x" is forbidden: quota'
    s.status.CopyFrom(status)
    assert not calculate_status(s, [pod("a")], None, NOW).conditions


def test_requeue_when_a_ready_pod_becomes_available():
    s = rs(2, min_ready=10)
    pods = [pod("a", ready_at=NOW - 4), pod("b", ready_at=NOW - 100)]
    status = calculate_status(s, pods, None, NOW)
    assert status.available_replicas == 1
    assert min_ready_requeue(s, status, pods, NOW) == pytest.approx(6.05)
    assert min_ready_requeue(rs(2), calculate_status(rs(2), pods, None, NOW), pods, NOW) is None


def test_new_pod_carries_the_template_and_the_controller_reference():
    s = rs(1)
    s.metadata.uid = "rs-uid"
    s.spec.template.metadata.annotations["a"] = "b"
    p = new_pod(s)
    assert p.metadata.generate_name == "web-abc-" and not p.metadata.name
    assert dict(p.metadata.labels) == {"app": "web", "pod-template-hash": "abc"} and p.metadata.annotations["a"] == "b"
    ref = p.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == \
        ("ReplicaSet", "web-abc", "rs-uid", True, True)
    assert ref.api_version == "apps/v1"
    assert p.spec == s.spec.template.spec
    assert deployment().spec.template.spec.containers[0].image == p.spec.containers[0].image
