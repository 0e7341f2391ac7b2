"""RollingUpdate, one sync at a time, against a world that gives every set its pods."""
from __future__ import annotations

import pytest

from services.replicaset.hashing import compute_hash
from tests.unit.replicaset.builders import World, deployment


def condition(d, type_):
    return next((c for c in d.status.conditions if c.type == type_), None)


def rolled_out(replicas=3, **kw) -> World:
    w = World(deployment(replicas, **kw))
    w.sync()  # creates the first set
    w.sync()  # sees it complete
    return w


def test_first_sync_creates_the_set_with_every_replica_and_revision_1():
    w = World(deployment(3))
    w.sync()
    name = f"web-{compute_hash(w.d.spec.template)}"
    rs = w.sets[name]
    assert rs.spec.replicas == 3 and rs.spec.template.metadata.labels["pod-template-hash"] == name[4:]
    assert rs.spec.selector.match_labels["pod-template-hash"] == name[4:] and rs.metadata.labels["app"] == "web"
    assert rs.metadata.owner_references[0].uid == "d-uid" and rs.metadata.owner_references[0].controller
    assert dict(rs.metadata.annotations) == {"deployment.kubernetes.io/revision": "1",
                                             "deployment.kubernetes.io/desired-replicas": "3",
                                             "deployment.kubernetes.io/max-replicas": "4"}
    assert w.d.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert w.events == [f"Scaled up replica set {name} to 3"]
    progressing = condition(w.d, "Progressing")
    assert (progressing.status, progressing.reason, progressing.message) == \
        ("True", "NewReplicaSetCreated", f'Created new replica set "{name}"')


def test_complete_rollout_conditions_and_status():
    w = rolled_out(3)
    st = w.d.status
    assert (st.replicas, st.updated_replicas, st.ready_replicas, st.available_replicas, st.unavailable_replicas,
            st.observed_generation) == (3, 3, 3, 3, 0, 1)
    name = w.new_set().metadata.name
    assert [(c.type, c.status, c.reason, c.message) for c in st.conditions] == [
        ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        ("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')]
    assert not w.sync().actions  # nothing left to do


def roll(w: World, image: str, steps: int = 12) -> list[tuple[int, int]]:
    """Change the image and sync until nothing changes; the (old, new) sizes after each sync."""
    old_image = w.d.spec.template.spec.containers[0].image
    w.d.spec.template.spec.containers[0].image = image
    w.d.metadata.generation += 1
    seen = []
    for _ in range(steps):
        if not w.sync().actions:
            break
        sizes = w.sizes()
        seen.append((sizes.get(old_image, 0), sizes.get(image, 0)))
    return seen


@pytest.mark.parametrize("surge,unavailable,steps", [
    ("25%", "25%", [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3), (0, 3)]),   # surge 1, unavailable 0
    (0, 1, [(2, 0), (2, 1), (1, 1), (1, 2), (0, 2), (0, 3), (0, 3)]),            # no surge: one down first
    (1, 1, [(2, 1), (2, 2), (0, 2), (0, 3), (0, 3)]),
    ("100%", 0, [(3, 3), (0, 3), (0, 3)]),                                     # blue/green
])
def test_rolling_update_steps(surge, unavailable, steps):
    w = rolled_out(3, surge=surge, unavailable=unavailable)
    assert roll(w, "nginx:1.26") == steps
    assert condition(w.d, "Progressing").reason == "NewReplicaSetAvailable"
    assert w.d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"


def test_never_more_than_surge_nor_fewer_available_than_replicas_minus_unavailable():
    w = rolled_out(10)  # 25%/25% of 10: surge 3, unavailable 2
    w.d.spec.template.spec.containers[0].image = "nginx:1.26"
    for _ in range(30):
        plan = w.sync()
        total = sum(rs.spec.replicas for rs in w.sets.values())
        available = sum(rs.status.available_replicas for rs in w.sets.values())
        assert total <= 13 and available >= 8
        if not plan.actions:
            break
    assert w.sizes() == {"nginx:1.25": 0, "nginx:1.26": 10}


def test_scale_events_say_from_what():
    w = rolled_out(3, surge=1, unavailable=0)
    roll(w, "nginx:1.26")
    new, old = w.new_set().metadata.name, next(n for n in w.sets if n != w.new_set().metadata.name)
    assert w.events[1:5] == [f"Scaled up replica set {new} to 1", f"Scaled down replica set {old} to 2 from 3",
                             f"Scaled up replica set {new} to 2 from 1", f"Scaled down replica set {old} to 1 from 2"]


def test_stuck_rollout_times_out_after_the_progress_deadline():
    w = rolled_out(3, surge=1, unavailable=0, deadline=60)
    w.slow.add(f"web-{compute_hash(deployment(3, image='nginx:bad').spec.template)}")
    roll(w, "nginx:bad")
    assert w.sizes() == {"nginx:1.25": 3, "nginx:bad": 1}
    plan = w.sync()
    assert not plan.actions and 60 <= plan.requeue_after <= 62  # look again at the deadline
    w.now += 61
    w.sync()
    progressing = condition(w.d, "Progressing")
    new = w.new_set().metadata.name
    assert (progressing.status, progressing.reason, progressing.message) == \
        ("False", "ProgressDeadlineExceeded", f'ReplicaSet "{new}" has timed out progressing.')
    assert condition(w.d, "Available").status == "True"  # the old pods still serve


def test_rolling_back_reuses_the_old_set_with_a_new_revision():
    w = rolled_out(3)
    first = w.new_set().metadata.name
    roll(w, "nginx:1.26")
    roll(w, "nginx:1.25")
    assert w.new_set().metadata.name == first and len(w.sets) == 2
    ann = w.sets[first].metadata.annotations
    assert ann["deployment.kubernetes.io/revision"] == "3" and ann["deployment.kubernetes.io/revision-history"] == "1"
    assert w.d.metadata.annotations["deployment.kubernetes.io/revision"] == "3"


def test_history_beyond_the_limit_is_deleted_once_complete():
    w = rolled_out(2, history=1)
    for image in ("nginx:a", "nginx:b", "nginx:c"):
        roll(w, image)
    assert len(w.sets) == 2 and len(w.deleted) == 2
    assert {rs.spec.template.spec.containers[0].image for rs in w.sets.values()} == {"nginx:b", "nginx:c"}


def test_hash_collision_count_changes_the_new_set_name():
    d = deployment(3)
    d.status.collision_count = 1
    w = World(d)
    w.sync()
    assert list(w.sets) == [f"web-{compute_hash(d.spec.template, 1)}"]
