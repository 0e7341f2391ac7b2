"""The decision for bring-up, scaling, replacement and claims: table tests over snapshots. Test names
follow the upstream tests they stand for (§2 of the behaviour reference)."""
from __future__ import annotations

import pytest

from services.statefulset.actions import FOR_FAILED, FOR_SCALE_DOWN
from tests.unit.statefulset.snapshots import NOW, claim, claims_for, new_set, plan, pod, revision_of, summary


def running(sts, *ordinals, **kw):
    rev = kw.pop("rev", None) or revision_of(sts)
    return [pod(sts, o, rev=rev, **kw) for o in ordinals]


# --- OrderedReady bring-up ------------------------------------------------------------------------------

def test_ordered_ready_creates_web_0_claims_first():
    p = plan(new_set(3))
    assert summary(p) == [("create-claims", "web-0", "www-web-0"), ("create", "web-0")]
    assert p.waiting == "waiting for Pod web-0 to be created"


@pytest.mark.parametrize("state, waiting", [
    (dict(phase="Pending", ready=False), "waiting for Pod web-0 to be Running and Ready"),
    (dict(phase="Running", ready=False), "waiting for Pod web-0 to be Running and Ready"),
    (dict(phase="Running", terminating=True), "waiting for Pod web-0 to Terminate"),
])
def test_scaling_halts_while_a_predecessor_is_not_running_and_ready(state, waiting):
    """Conformance: Scaling should happen in predictable order and halt if any stateful pod is unhealthy."""
    sts = new_set(3)
    p = plan(sts, [pod(sts, 0, **state)], claims_for(sts, 0))
    assert summary(p) == [] and p.waiting == waiting


def test_web_1_created_only_after_web_0_is_running_and_ready():
    sts = new_set(3)
    p = plan(sts, running(sts, 0), claims_for(sts, 0))
    assert summary(p) == [("create-claims", "web-1", "www-web-1"), ("create", "web-1")]


def test_min_ready_seconds_holds_the_next_pod_and_requeues_when_available():
    """MinReadySeconds should be honored: web-1 waits until web-0 has been Ready for minReadySeconds."""
    sts = new_set(3, spec={"minReadySeconds": 10})
    p = plan(sts, running(sts, 0, ready_since=NOW - 4), claims_for(sts, 0))
    assert summary(p) == [] and p.waiting == "waiting for Pod web-0 to be Available"
    assert p.requeue_after == pytest.approx(6.05)
    p = plan(sts, running(sts, 0, ready_since=NOW - 11), claims_for(sts, 0))
    assert summary(p) == [("create-claims", "web-1", "www-web-1"), ("create", "web-1")]


def test_a_claim_that_exists_is_reused_as_found():
    sts = new_set(1)
    existing = claim(sts, 0)
    existing.spec.resources.requests["storage"] = "5Gi"  # never updated to match the template
    p = plan(sts, [], {existing.metadata.name: existing})
    assert summary(p) == [("create", "web-0")]


def test_a_claim_being_deleted_blocks_the_pod():
    sts = new_set(1)
    c = claim(sts, 0, terminating=True)
    assert summary(plan(sts, [], {c.metadata.name: c})) == [("create-claims", "web-0", "terminating:www-web-0"),
                                                          ("create", "web-0")]


def test_deleted_pod_comes_back_with_the_same_name_and_claims():
    """A deleted pod's slot is empty: the same name, hostname and claims (which exist) come back."""
    sts = new_set(3)
    p = plan(sts, running(sts, 0, 2), claims_for(sts, 0, 1, 2))
    assert summary(p) == [("create", "web-1")]
    new = p.actions()[0].pod
    assert (new.spec.hostname, new.spec.subdomain, new.spec.volumes[0].persistent_volume_claim.claim_name) == \
        ("web-1", "nginx", "www-web-1")


def test_terminating_pod_is_never_replaced_until_gone():
    """TestDeletingAndTerminatingPods: a pod held by a finalizer and deleted is not replaced."""
    sts = new_set(2)
    pods = running(sts, 0) + running(sts, 1, terminating=True)
    assert summary(plan(sts, pods, claims_for(sts, 0, 1))) == []
    sts = new_set(2, spec={"podManagementPolicy": "Parallel"})
    assert summary(plan(sts, pods, claims_for(sts, 0, 1))) == []


@pytest.mark.parametrize("phase", ["Failed", "Succeeded"])
def test_failed_and_succeeded_pods_are_deleted_then_recreated(phase):
    """Conformance: Should recreate evicted statefulset. Delete now, the replacement once it is gone."""
    sts = new_set(2)
    pods = running(sts, 0) + [pod(sts, 1, phase)]
    p = plan(sts, pods, claims_for(sts, 0, 1))
    assert summary(p) == [("delete", "web-1", FOR_FAILED)]
    pods[1].metadata.deletion_timestamp.FromSeconds(int(NOW))
    assert summary(plan(sts, pods, claims_for(sts, 0, 1))) == []
    assert summary(plan(sts, pods[:1], claims_for(sts, 0, 1))) == [("create", "web-1")]


def test_should_not_deadlock_when_a_pods_predecessor_fails():
    """web-1 runs but is never healthy; a deleted web-0 is still recreated (it comes first)."""
    sts = new_set(2)
    p = plan(sts, running(sts, 1, ready=False), claims_for(sts, 0, 1))
    assert summary(p) == [("create", "web-0")]


def test_pending_pod_gets_a_deleted_claim_back():
    """PVC should be recreated when pod is pending due to missing PVC."""
    sts = new_set(1)
    p = plan(sts, [pod(sts, 0, "Pending", ready=False)], {})
    assert summary(p) == [("create-claims", "web-0", "www-web-0")]
    assert p.actions()[0].verb == ""


# --- scale down -------------------------------------------------------------------------------------------

def test_scale_down_deletes_the_highest_ordinal_first_one_at_a_time():
    sts = new_set(1)
    p = plan(sts, running(sts, 0, 1, 2), claims_for(sts, 0, 1, 2))
    assert summary(p) == [("delete", "web-2", FOR_SCALE_DOWN)]


def test_scale_down_waits_for_the_terminating_pod_to_be_gone():
    sts = new_set(1)
    pods = running(sts, 0, 1) + running(sts, 2, terminating=True)
    p = plan(sts, pods, claims_for(sts, 0, 1, 2))
    assert summary(p) == [] and p.waiting == "waiting for Pod web-2 to Terminate prior to scale down"


def test_scale_down_halts_while_any_pod_is_unhealthy():
    """Conformance: with unhealthy pods, scaling 3 -> 0 stays at 3 pods."""
    sts = new_set(0)
    pods = running(sts, 0, 1) + running(sts, 2, ready=False)
    # web-2 is the first unhealthy pod: it may go
    assert summary(plan(sts, pods, claims_for(sts, 0, 1, 2))) == [("delete", "web-2", FOR_SCALE_DOWN)]
    pods = running(sts, 0, 1, 2, ready=False)  # all unhealthy: only the lowest (web-0) could go, so none
    p = plan(sts, pods, claims_for(sts, 0, 1, 2))
    assert summary(p) == [] and p.waiting == "waiting for Pod web-0 to be Running and Ready prior to scale down"


def test_scale_down_waits_for_in_range_pods_first():
    sts = new_set(1)
    pods = running(sts, 0, ready=False) + running(sts, 1)
    assert summary(plan(sts, pods, claims_for(sts, 0, 1))) == []


def test_scale_down_keeps_claims_by_default():
    sts = new_set(1)
    assert all(a[0] == "delete" for a in summary(plan(sts, running(sts, 0, 1), claims_for(sts, 0, 1))))


# --- Parallel ---------------------------------------------------------------------------------------------

def test_burst_scaling_creates_all_pods_at_once_even_when_unhealthy():
    """Conformance: Burst scaling should run to completion even with unhealthy pods."""
    sts = new_set(3, spec={"podManagementPolicy": "Parallel"})
    p = plan(sts, running(sts, 0, ready=False), claims_for(sts, 0))
    assert summary(p) == [("create-claims", "web-1", "www-web-1"), ("create", "web-1"),
                          ("create-claims", "web-2", "www-web-2"), ("create", "web-2")]
    assert p.steps[0].parallel and len(p.steps[0].units) == 2


def test_burst_scale_down_deletes_every_condemned_pod_even_unhealthy():
    sts = new_set(0, spec={"podManagementPolicy": "Parallel"})
    pods = running(sts, 0, 1, ready=False) + running(sts, 2, terminating=True)
    p = plan(sts, pods, claims_for(sts, 0, 1, 2))
    assert summary(p) == [("delete", "web-1", FOR_SCALE_DOWN), ("delete", "web-0", FOR_SCALE_DOWN)]


# --- start ordinal ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, have, create, delete", [
    (2, [0, 1], "web-2", "web-1"),     # Setting .start.ordinal: the new range is created first...
    (4, [2, 3], "web-4", "web-3"),     # Increasing .start.ordinal
    (2, [3, 4], "web-2", None),        # Decreasing .start.ordinal: web-2 first, web-4 after
])
def test_start_ordinal_moves_pods(start, have, create, delete):
    sts = new_set(2, spec={"ordinals": {"start": start}, "podManagementPolicy": "Parallel"})
    acts = summary(plan(sts, running(sts, *have), claims_for(sts, *have)))
    assert ("create", create) in acts
    assert (delete is None) or ("delete", delete, FOR_SCALE_DOWN) in acts


def test_pods_whose_name_does_not_parse_are_ignored():
    sts = new_set(1)
    stray = pod(sts, 0)
    stray.metadata.name = "web-x"
    p = plan(sts, [stray] + running(sts, 0), claims_for(sts, 0))
    assert summary(p) == [] and p.status.replicas == 1


def test_a_set_being_deleted_only_gets_its_status_updated():
    sts = new_set(3)
    sts.metadata.deletion_timestamp.FromSeconds(int(NOW))
    p = plan(sts, running(sts, 0), claims_for(sts, 0))
    assert summary(p) == [] and p.status.replicas == 1
