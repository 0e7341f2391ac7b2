"""Deployment conditions and status, adoption, and kubectl's rollout status lines."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import meta_pb2
from kubelab.cli.rollout.deployment import status as rollout_status
from kubelab.cli.session import CliError
from kubelab.labels import label_selector_as_selector
from services.replicaset import conditions as cond
from kubelab.controller_ref_manager import claim_objects, with_controller, without_owner
from tests.unit.replicaset.builders import NOW, deployment, pod, replica_set


def test_set_condition_keeps_transition_time_unless_the_status_changes():
    status = cond.Status()
    cond.set_condition(status, cond.new_condition("Available", "False", cond.MIN_UNAVAILABLE, "m", NOW - 100))
    cond.set_condition(status, cond.new_condition("Available", "False", "Other", "m2", NOW))
    assert status.conditions[0].reason == "Other" and status.conditions[0].last_transition_time.seconds == NOW - 100
    cond.set_condition(status, cond.new_condition("Available", "True", cond.MIN_AVAILABLE, "m3", NOW))
    assert status.conditions[0].last_transition_time.seconds == NOW
    before = status.conditions[0].last_update_time.seconds
    cond.set_condition(status, cond.new_condition("Available", "True", cond.MIN_AVAILABLE, "m3", NOW + 50))
    assert status.conditions[0].last_update_time.seconds == before  # same status and reason: untouched


def test_available_means_at_least_replicas_minus_max_unavailable():
    d = deployment(4)  # 25%: one may be unavailable
    rss = [replica_set("a", 4, available=3)]
    assert cond.get_condition(cond.calculate_status(rss, rss[0], d, NOW), "Available").status == "True"
    rss = [replica_set("a", 4, available=2)]
    st = cond.calculate_status(rss, rss[0], d, NOW)
    assert cond.get_condition(st, "Available").reason == "MinimumReplicasUnavailable"
    assert (st.replicas, st.available_replicas, st.unavailable_replicas) == (4, 2, 2)


def test_complete_progressing_and_timed_out():
    d = deployment(3)
    done = cond.Status(replicas=3, updated_replicas=3, available_replicas=3, observed_generation=1)
    assert cond.deployment_complete(d, done)
    d.metadata.generation = 2
    assert not cond.deployment_complete(d, done)
    d.status.CopyFrom(cond.Status(replicas=4, updated_replicas=1, ready_replicas=3, available_replicas=3))
    assert cond.deployment_progressing(d, cond.Status(replicas=4, updated_replicas=2))
    assert cond.deployment_progressing(d, cond.Status(replicas=3, updated_replicas=1))  # fewer old pods
    assert not cond.deployment_progressing(d, cond.Status(replicas=4, updated_replicas=1, ready_replicas=3,
                                                          available_replicas=3))
    st = cond.Status()
    st.conditions.append(cond.new_condition("Progressing", "True", cond.RS_UPDATED, "m", NOW - 601))
    assert cond.deployment_timed_out(d, st, NOW)
    assert not cond.deployment_timed_out(d, st, NOW - 2)
    d.spec.ClearField("progress_deadline_seconds")  # no deadline at all
    assert not cond.deployment_timed_out(d, st, NOW)


def test_replica_failures_prefer_the_new_set():
    old, new = replica_set("old", 1), replica_set("new", 1)
    old.status.conditions.add(type="ReplicaFailure", status="True", reason="FailedCreate", message="old")
    assert [c.message for c in cond.replica_failures([old, new], new)] == ["old"]
    new.status.conditions.add(type="ReplicaFailure", status="True", reason="FailedCreate", message="new")
    assert [c.message for c in cond.replica_failures([old, new], new)] == ["new"]


def test_claims_adopt_matching_orphans_and_release_pods_that_stop_matching():
    rs = replica_set("web-x", 3)
    sel = label_selector_as_selector(rs.spec.selector)
    owned = with_controller(pod("owned"), rs)
    stray = with_controller(pod("stray", labels={"app": "other"}), rs)
    foreign = pod("foreign")
    foreign.metadata.owner_references.append(meta_pb2.OwnerReference(kind="ReplicaSet", uid="x", controller=True))
    got = claim_objects(rs, [owned, stray, foreign, pod("orphan"), pod("unlabelled", labels={"app": "db"}),
                        pod("going", terminating=True)], lambda o: sel.matches(o.metadata.labels))
    names = lambda ps: [p.metadata.name for p in ps]  # noqa: E731
    assert (names(got.owned), names(got.adopt), names(got.release)) == (["owned"], ["orphan"], ["stray"])
    rs.metadata.deletion_timestamp.FromSeconds(int(NOW))
    got = claim_objects(rs, [stray, pod("orphan")], lambda o: sel.matches(o.metadata.labels))
    assert not got.adopt and not got.release
    assert not without_owner(owned, [rs.metadata.uid]).metadata.owner_references


def status_line(**st) -> str:
    d = deployment(3)
    for k, v in st.items():
        setattr(d.status, k, v)
    d.status.observed_generation = st.get("observed_generation", 1)
    return rollout_status(d)


def test_rollout_status_lines_are_kubectls():
    assert status_line(observed_generation=0) == ("Waiting for deployment spec update to be observed...\n", False)
    assert status_line(updated_replicas=1, replicas=3) == (
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n', False)
    assert status_line(updated_replicas=3, replicas=4) == (
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n', False)
    assert status_line(updated_replicas=3, replicas=3, available_replicas=1) == (
        'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\n', False)
    assert status_line(updated_replicas=3, replicas=3, available_replicas=3) == (
        'deployment "web" successfully rolled out\n', True)


def test_rollout_status_fails_past_the_deadline():
    d = deployment(3)
    d.status.observed_generation = 1
    d.status.conditions.append(cond.new_condition("Progressing", "False", cond.TIMED_OUT, "x", NOW))
    with pytest.raises(CliError, match='error: deployment "web" exceeded its progress deadline'):
        rollout_status(d)
