"""The decision for updates: RollingUpdate (order, partition, maxUnavailable), OnDelete, and the status
fields that follow a rollout (table tests over snapshots)."""
from __future__ import annotations

import pytest

from services.statefulset.actions import FOR_UPDATE
from services.statefulset.control import max_unavailable
from services.statefulset.utils import pod_revision
from tests.unit.statefulset.snapshots import NOW, claims_for, new_set, plan, pod, revision_of, summary

OLD, NEW = "registry.k8s.io/nginx-slim:0.24", "registry.k8s.io/nginx-slim:0.27"


def rollout(replicas=3, spec=None, updated=(), unready=(), terminating=()):
    """A set whose template changed from OLD to NEW; `updated` ordinals already run NEW."""
    old_set = new_set(replicas, spec=spec, image=OLD)
    sts = new_set(replicas, spec=spec, image=NEW, generation=2)
    rev1, rev2 = revision_of(old_set, 1), revision_of(sts, 2)
    pods = [pod(sts, o, rev=rev2 if o in updated else rev1, ready=o not in unready,
                terminating=o in terminating) for o in range(replicas)]
    return sts, pods, rev1, rev2


def test_new_revision_differs_and_pods_keep_the_old_one_until_replaced():
    sts, pods, rev1, rev2 = rollout()
    assert rev1.metadata.name != rev2.metadata.name
    assert {pod_revision(p) for p in pods} == {rev1.metadata.name}


def test_rolling_update_deletes_the_highest_ordinal_first():
    """Conformance: rolling updates go in reverse ordinal order, one pod at a time."""
    sts, pods, rev1, rev2 = rollout()
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [("delete", "web-2", FOR_UPDATE)]
    assert (p.status.current_replicas, p.status.updated_replicas) == (2, 0)


def test_rolling_update_waits_for_the_replacement_to_be_available():
    sts, pods, rev1, rev2 = rollout(updated={2}, unready={2})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [] and p.waiting == "waiting for Pod web-2 to be Running and Ready"


def test_rolling_update_continues_downwards_once_the_replacement_is_ready():
    sts, pods, rev1, rev2 = rollout(updated={2})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [("delete", "web-1", FOR_UPDATE)]


def test_the_replacement_of_a_deleted_pod_is_created_at_the_update_revision():
    sts, pods, rev1, rev2 = rollout(updated={2})
    p = plan(sts, pods[:1] + pods[2:], claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [("create", "web-1")]
    created = p.actions()[0].pod
    assert pod_revision(created) == rev2.metadata.name and created.spec.containers[0].image == NEW


def test_rollout_completes_current_revision_becomes_update_revision():
    sts, pods, rev1, rev2 = rollout(updated={0, 1, 2})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == []
    assert p.status.current_revision == p.status.update_revision == rev2.metadata.name
    assert (p.status.current_replicas, p.status.updated_replicas, p.status.ready_replicas) == (3, 3, 3)


def test_partition_equal_to_replicas_changes_nothing():
    """Conformance: canary updates: partition=3 with 3 replicas -> no pod changes."""
    sts, pods, rev1, rev2 = rollout(spec={"updateStrategy": {"type": "RollingUpdate",
                                                             "rollingUpdate": {"partition": 3}}})
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)) == []


def test_partition_greater_than_replicas_updates_nothing():
    sts, pods, rev1, rev2 = rollout(spec={"updateStrategy": {"type": "RollingUpdate",
                                                             "rollingUpdate": {"partition": 5}}})
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)) == []


def test_partition_2_updates_only_web_2():
    spec = {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}
    sts, pods, rev1, rev2 = rollout(spec=spec)
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)) == \
        [("delete", "web-2", FOR_UPDATE)]
    sts, pods, rev1, rev2 = rollout(spec=spec, updated={2})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [] and p.status.current_revision == rev1.metadata.name


@pytest.mark.parametrize("ordinal, revision", [(0, "rev1"), (2, "rev2")])
def test_deleted_pods_come_back_at_the_revision_the_partition_gives_them(ordinal, revision):
    """Conformance: deleting pod-0 and pod-2 under partition=2 -> each comes back at its revision."""
    spec = {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}
    sts, pods, rev1, rev2 = rollout(spec=spec, updated={2})
    del pods[ordinal]
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    created = next(a.pod for a in p.actions() if type(a).__name__ == "CreatePod")
    want = {"rev1": rev1, "rev2": rev2}[revision]
    assert created.metadata.name == f"web-{ordinal}" and pod_revision(created) == want.metadata.name
    assert created.spec.containers[0].image == (OLD if revision == "rev1" else NEW)


def test_terminating_outdated_pod_is_not_deleted_again():
    sts, pods, rev1, rev2 = rollout(terminating={2})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == []


def test_on_delete_never_deletes_pods_for_an_update():
    """OnDelete: pods keep the old revision until deleted; a deleted one comes back at the new one."""
    spec = {"updateStrategy": {"type": "OnDelete"}}
    sts, pods, rev1, rev2 = rollout(spec=spec)
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2), current=rev1, update=rev2)) == []
    p = plan(sts, pods[1:], claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [("create", "web-0")] and pod_revision(p.actions()[0].pod) == rev2.metadata.name
    assert p.status.current_revision == rev1.metadata.name  # OnDelete never completes a rollout itself


@pytest.mark.parametrize("value, replicas, want", [
    (None, 5, 1), (2, 5, 2), ("2", 5, 2), ("40%", 5, 2), ("10%", 5, 1), ("50%", 3, 1), ("100%", 4, 4),
])
def test_max_unavailable_rounds_percentages_down_never_below_one(value, replicas, want):
    ru = {"partition": 0} if value is None else {"partition": 0, "maxUnavailable": value}
    sts = new_set(replicas, spec={"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": ru}})
    assert max_unavailable(sts, replicas) == want


def test_max_unavailable_deletes_that_many_from_the_top():
    """With Parallel (OrderedReady already stops at the first unready pod, before any update)."""
    spec = {"podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}}}
    sts, pods, rev1, rev2 = rollout(replicas=4, spec=spec)
    p = plan(sts, pods, claims_for(sts, 0, 1, 2, 3), current=rev1, update=rev2)
    assert summary(p) == [("delete", "web-3", FOR_UPDATE), ("delete", "web-2", FOR_UPDATE)]
    sts, pods, rev1, rev2 = rollout(replicas=4, spec=spec, updated={3}, unready={3})
    p = plan(sts, pods, claims_for(sts, 0, 1, 2, 3), current=rev1, update=rev2)
    assert summary(p) == [("delete", "web-2", FOR_UPDATE)]
    sts, pods, rev1, rev2 = rollout(replicas=4, spec=spec, updated={3, 2}, unready={3, 2})
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2, 3), current=rev1, update=rev2)) == []


def test_updates_wait_for_scaling():
    """Scaling takes precedence over updates: nothing is deleted for the update while a pod is missing."""
    sts, pods, rev1, rev2 = rollout()
    p = plan(sts, pods[:2], claims_for(sts, 0, 1, 2), current=rev1, update=rev2)
    assert summary(p) == [("create", "web-2")]


def test_status_counts_like_kubernetes():
    """TestStatefulSetAvailable: minReadySeconds=3600, 4 pods: one not Ready, one Ready just now, two
    Ready 2h ago -> replicas 4, readyReplicas 3, availableReplicas 2."""
    sts = new_set(4, spec={"minReadySeconds": 3600, "podManagementPolicy": "Parallel"})
    rev = revision_of(sts)
    pods = [pod(sts, 0, rev=rev, ready=False), pod(sts, 1, rev=rev, ready_since=NOW - 1),
            pod(sts, 2, rev=rev, ready_since=NOW - 7200), pod(sts, 3, rev=rev, ready_since=NOW - 7200)]
    p = plan(sts, pods, claims_for(sts, 0, 1, 2, 3), current=rev)
    s = p.status
    assert (s.replicas, s.ready_replicas, s.available_replicas) == (4, 3, 2)
    assert s.observed_generation == 1 and s.collision_count == 0
    assert p.requeue_after == pytest.approx(3599.05)


def test_status_counts_created_pods_only():
    """TestStatefulSetStatusWithPodFail: replicas counts the pods that exist, not spec.replicas."""
    sts = new_set(3, spec={"podManagementPolicy": "Parallel"})
    rev = revision_of(sts)
    p = plan(sts, [pod(sts, 0, rev=rev), pod(sts, 1, rev=rev)], claims_for(sts, 0, 1), current=rev)
    assert p.status.replicas == 2 and p.status.current_replicas == 2


def test_terminating_pods_count_as_replicas_but_not_current_or_updated():
    sts = new_set(1)
    rev = revision_of(sts)
    p = plan(sts, [pod(sts, 0, rev=rev), pod(sts, 1, rev=rev, terminating=True)], claims_for(sts, 0, 1),
             current=rev)
    s = p.status
    assert (s.replicas, s.ready_replicas, s.current_replicas, s.updated_replicas) == (2, 2, 1, 1)
