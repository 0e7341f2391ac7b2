"""The Deployment controller's decision (k/k `deployment_controller.go: syncDeployment`), a pure function
of a snapshot: the Deployment, the ReplicaSets it owns, their pods, and the time.

    plan = plan_sync(Snapshot(deployment, replica_sets, pods_by_rs, now))

The sync's working state is a `Rollout` (rollout.py), which every step below changes.

Order of a sync (as Kubernetes): a Deployment being deleted only gets its status; pausing or resuming
sets a Progressing Unknown condition; a paused Deployment, or one whose replicas changed (the
desired-replicas annotation of an active set differs), is scaled proportionally (`deployment_sync.sync`);
otherwise it rolls out with its strategy (`rolling`, `recreate`).
"""
from __future__ import annotations

from kubelab.events import WARNING
from kubelab.meta import is_terminating
from services.replicaset import conditions as cond
from services.replicaset import deployment_sync as sync
from services.replicaset import recreate, rolling
from services.replicaset.actions import Plan
from services.replicaset.rollout import Rollout, Snapshot

__all__ = ["Snapshot", "Rollout", "plan_sync"]


def check_paused_conditions(r: Rollout) -> None:
    """Progressing Unknown while paused, so that a resumed Deployment is not taken for a stuck one."""
    d = r.d
    if not cond.has_progress_deadline(d):
        return
    current = cond.get_condition(d.status, cond.PROGRESSING)
    if current is not None and current.reason == cond.TIMED_OUT:
        return
    paused_noted = current is not None and current.reason == cond.PAUSED
    if d.spec.paused and not paused_noted:
        cond.set_condition(d.status, cond.new_condition(cond.PROGRESSING, "Unknown", cond.PAUSED,
                                                        "Deployment is paused", r.now))
    elif not d.spec.paused and paused_noted:
        cond.set_condition(d.status, cond.new_condition(cond.PROGRESSING, "Unknown", cond.RESUMED,
                                                        "Deployment is resumed", r.now))


def plan_sync(snap: Snapshot) -> Plan:
    r = Rollout(snap)
    d = r.d
    if not d.spec.selector.match_labels and not d.spec.selector.match_expressions:
        r.event(WARNING, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
        if d.status.observed_generation < d.metadata.generation:
            d.status.observed_generation = d.metadata.generation
        return r.finish()
    if is_terminating(d):
        sync.sync_status_only(r)
        return r.finish()
    check_paused_conditions(r)
    if d.spec.paused or sync.is_scaling_event(r):
        sync.sync(r)
    elif d.spec.strategy.type == "Recreate":
        recreate.rollout_recreate(r)
    elif d.spec.strategy.type == "RollingUpdate":
        rolling.rollout_rolling(r)
    else:
        raise ValueError(f"unexpected deployment strategy type: {d.spec.strategy.type}")
    return r.finish()
