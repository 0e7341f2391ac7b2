"""Recreate, pause and resume, and resizing in the middle of a rollout."""
from __future__ import annotations

from services.replicaset.deployment_control import Snapshot, plan_sync
from services.replicaset.recreate import old_pods_running
from tests.unit.replicaset.builders import NOW, World, deployment, pod, replica_set
from tests.unit.replicaset.test_rolling import condition, roll, rolled_out


def test_recreate_scales_old_to_zero_before_creating_the_new_set():
    w = rolled_out(3, strategy="Recreate")
    w.d.spec.template.spec.containers[0].image = "nginx:1.26"
    w.sync()
    assert w.sizes() == {"nginx:1.25": 0} and not w.created[1:]
    w.sync()  # the old pods are gone (settled): now the new set, all at once
    assert w.sizes() == {"nginx:1.25": 0, "nginx:1.26": 3}
    assert w.events[-1].startswith("Scaled up replica set web-") and w.events[-1].endswith(" to 3")


def test_recreate_waits_while_an_old_pod_is_still_terminating():
    d = deployment(1, strategy="Recreate", image="nginx:1.26")
    old = replica_set("old", 0, owner=d, revision=1)
    old.status.replicas = old.status.available_replicas = 0
    going = pod("old-x", terminating=True)
    plan = plan_sync(Snapshot(d, [old], {old.metadata.uid: [going]}, NOW))
    assert not any(type(a).__name__ == "CreateReplicaSet" for a in plan.actions)
    plan = plan_sync(Snapshot(d, [old], {old.metadata.uid: [pod("old-y", phase="Failed")]}, NOW))
    assert any(type(a).__name__ == "CreateReplicaSet" for a in plan.actions)


def test_old_pods_running():
    new = replica_set("new", 1)
    old = replica_set("old", 0)
    old.status.replicas = 0
    assert not old_pods_running(new, [old], {new.metadata.uid: [pod("n")], old.metadata.uid: []})
    assert old_pods_running(new, [old], {old.metadata.uid: [pod("o", phase="Pending")]})
    assert not old_pods_running(new, [old], {old.metadata.uid: [pod("o", phase="Succeeded")]})
    old.status.replicas = 1
    assert old_pods_running(new, [old], {})


def test_paused_deployment_does_not_roll_out_but_still_scales():
    w = rolled_out(3)
    w.d.spec.paused = True
    w.sync()
    progressing = condition(w.d, "Progressing")
    assert (progressing.status, progressing.reason, progressing.message) == \
        ("Unknown", "DeploymentPaused", "Deployment is paused")
    assert all(new == 0 for _, new in roll(w, "nginx:1.26"))  # status only (observedGeneration)
    assert w.sizes() == {"nginx:1.25": 3} and w.d.status.observed_generation == w.d.metadata.generation
    w.d.spec.replicas = 5
    w.sync()
    assert w.sizes() == {"nginx:1.25": 5}
    w.d.spec.paused = False
    w.sync()
    assert condition(w.d, "Progressing").reason in ("DeploymentResumed", "ReplicaSetUpdated")
    assert "nginx:1.26" in w.sizes()


def test_resuming_notes_it_and_then_measures_progress_afresh():
    w = rolled_out(3, surge=1, unavailable=0)
    w.d.spec.paused = True
    w.sync()
    w.d.spec.template.spec.containers[0].image = "nginx:1.26"
    w.d.spec.paused = False
    plan = plan_sync(w.snapshot())
    status = plan.actions[-1].status
    progressing = [(c.status, c.reason) for c in status.conditions if c.type == "Progressing"]
    assert progressing == [("True", "NewReplicaSetCreated")]
    done = rolled_out(3)
    done.d.spec.paused = True
    done.sync()
    done.d.spec.paused = False
    done.sync()  # nothing to roll out: complete again at once
    assert condition(done.d, "Progressing").reason == "NewReplicaSetAvailable"


def test_scaling_mid_rollout_is_proportional():
    d = deployment(10, surge=3, unavailable=2, image="nginx:1.26")
    old = replica_set("old", 8, owner=d, revision=1, desired=10, most=13, created=NOW - 100, image="nginx:1.25")
    new = replica_set("new", 5, owner=d, revision=2, desired=10, most=13, created=NOW - 10, image="nginx:1.26")
    new.status.available_replicas = 0
    w = World(d, [old, new])
    w.slow.add("new")
    d.spec.replicas = 15
    w.sync()
    assert w.sizes() == {"nginx:1.25": 11, "nginx:1.26": 7}
    assert "Scaled up replica set old to 11 from 8" in w.events and "Scaled up replica set new to 7 from 5" in w.events
    for rs in w.sets.values():
        assert rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "15"
        assert rs.metadata.annotations["deployment.kubernetes.io/max-replicas"] == "18"


def test_scaling_a_finished_deployment_scales_its_one_set():
    w = rolled_out(3)
    w.d.spec.replicas = 1
    w.sync()
    assert w.sizes() == {"nginx:1.25": 1} and w.events[-1].endswith("to 1 from 3")


def test_deployment_being_deleted_only_gets_status():
    d = deployment(3)
    d.metadata.deletion_timestamp.FromSeconds(int(NOW))
    d.metadata.annotations["deployment.kubernetes.io/revision"] = "1"
    rs = replica_set("web-x", 2, owner=d, revision=1)
    plan = plan_sync(Snapshot(d, [rs], {}, NOW))
    assert [type(a).__name__ for a in plan.actions] == ["UpdateDeploymentStatus"]
    assert plan.actions[0].status.replicas == 2


def test_empty_selector_is_refused_with_an_event():
    d = deployment(1)
    d.spec.selector.Clear()
    plan = plan_sync(Snapshot(d, [], {}, NOW))
    assert plan.actions[0].message == "This deployment is selecting all pods. A non-empty selector is required."
