"""Rollout arithmetic: maxSurge/maxUnavailable rounding, how far a new set may grow, proportions, orders."""
from __future__ import annotations

import pytest

from services.replicaset import deployment_util as du
from tests.unit.replicaset.builders import NOW, deployment, replica_set


@pytest.mark.parametrize("replicas,surge,unavailable,want", [
    (10, "25%", "25%", (3, 2)),   # surge rounds up (2.5 -> 3), unavailable rounds down (2.5 -> 2)
    (3, "25%", "25%", (1, 0)),    # 0.75 -> 1 and 0
    (4, "25%", "25%", (1, 1)),
    (1, "25%", "25%", (1, 0)),
    (5, "0%", "10%", (0, 1)),     # both round to 0: one pod may be unavailable
    (5, 0, "10%", (0, 1)),
    (3, 2, 1, (2, 1)),            # numbers are taken as they are
    (10, "100%", "0%", (10, 0)),
    (0, "25%", "25%", (0, 0)),
])
def test_fenceposts_round_as_kubernetes(replicas, surge, unavailable, want):
    d = deployment(replicas, surge=surge, unavailable=unavailable)
    assert (du.max_surge(d), du.max_unavailable(d)) == want


def test_max_unavailable_never_exceeds_replicas_and_recreate_has_no_fenceposts():
    assert du.max_unavailable(deployment(3, surge=0, unavailable=5)) == 3
    d = deployment(3, strategy="Recreate")
    assert (du.max_surge(d), du.max_unavailable(d), du.min_available(d)) == (0, 0, 0)


def test_scaled_value_rejects_a_string_that_is_not_a_percentage():
    with pytest.raises(ValueError, match="not a percentage"):
        du.scaled_value("abc", 10, True)
    assert du.scaled_value("7", 10, True) == 7


def test_new_set_grows_within_replicas_plus_surge():
    d = deployment(3, surge=1, unavailable=0)
    old, new = replica_set("old", 3), replica_set("new", 0)
    assert du.new_rs_new_replicas(d, [old, new], new) == 1
    new.spec.replicas = 1
    assert du.new_rs_new_replicas(d, [old, new], new) == 1       # 4 pods: at the limit
    old.spec.replicas = 2
    assert du.new_rs_new_replicas(d, [old, new], new) == 2
    old.spec.replicas = 0
    assert du.new_rs_new_replicas(d, [old, new], new) == 3       # never past spec.replicas
    assert du.new_rs_new_replicas(deployment(3, strategy="Recreate"), [replica_set("o", 3), new], new) == 3


def test_proportions_follow_the_max_replicas_annotation():
    # Kubernetes' documentation example: 10 replicas, maxSurge 3, stuck mid-rollout with 8 old and 5 new
    # pods, scaled to 15: 3 more for the old set and 2 for the new one.
    d = deployment(15, surge=3, unavailable=2)
    old = replica_set("old", 8, most=13, desired=10, created=NOW - 100)
    new = replica_set("new", 5, most=13, desired=10, created=NOW - 10)
    to_add = 15 + 3 - 13
    first = du.proportion(old, d, to_add, 0)
    assert first == 3
    assert du.proportion(new, d, to_add, first) == 2


def test_proportion_without_annotation_uses_the_deployment_size_and_scaling_to_zero_takes_all():
    d = deployment(6, surge=0, unavailable=1)
    d.status.replicas = 3
    assert du.proportion(replica_set("a", 3), d, 3, 0) == 3
    assert du.proportion(replica_set("a", 3), deployment(0), -3, 0) == -3
    assert du.proportion(replica_set("a", 0), d, 3, 0) == 0


def test_active_or_latest():
    old1, old2 = replica_set("o1", 0, created=NOW - 100), replica_set("o2", 0, created=NOW - 50)
    new = replica_set("new", 0, created=NOW)
    assert du.find_active_or_latest(new, [old1, old2]) is new
    assert du.find_active_or_latest(None, [old1, old2]) is old2
    old1.spec.replicas = 2
    assert du.find_active_or_latest(new, [old1, old2]) is old1
    new.spec.replicas = 1
    assert du.find_active_or_latest(new, [old1, old2]) is None


def test_orders():
    a = replica_set("a", 2, created=NOW - 100, revision=3)
    b = replica_set("b", 2, created=NOW - 50, revision=1)
    c = replica_set("c", 5, created=NOW - 10, revision=2)
    names = lambda rss: [r.metadata.name for r in rss]  # noqa: E731
    assert names(du.by_size_older([a, b, c])) == ["c", "a", "b"]
    assert names(du.by_size_newer([a, b, c])) == ["c", "b", "a"]
    assert names(du.by_revision([a, b, c])) == ["b", "c", "a"]
    assert names(du.by_creation([c, b, a])) == ["a", "b", "c"]


def test_new_and_old_sets_are_told_apart_by_template():
    d = deployment(3, image="nginx:1.26")
    old = replica_set("old", 3, image="nginx:1.25")
    new = replica_set("new", 0, image="nginx:1.26")
    new.spec.template.metadata.labels["pod-template-hash"] = "xyz"
    assert du.find_new_replica_set(d, [old, new]) is new
    with_pods, every = du.find_old_replica_sets(d, [old, new])
    assert with_pods == [old] and every == [old]


def test_saturation_needs_size_desired_annotation_and_availability():
    d = deployment(3)
    rs = replica_set("new", 3, desired=3)
    assert du.is_saturated(d, rs)
    rs.status.available_replicas = 2
    assert not du.is_saturated(d, rs)
    assert not du.is_saturated(d, replica_set("x", 3)) and not du.is_saturated(d, None)
