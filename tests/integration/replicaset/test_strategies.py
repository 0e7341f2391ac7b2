"""Recreate, rollback, pause/resume and the progress deadline, through the controllers and `kubelab rollout`."""
from __future__ import annotations

from tests.integration.replicaset.conftest import kubelab, observed, pods_of, update, wait_for, web
from tests.integration.replicaset.test_rolling_update import NEW, OLD, rolled_out, sizes, sync_point


def new_image(d):
    d.spec.template.spec.containers[0].image = NEW


async def test_recreate_creates_new_pods_only_once_every_old_pod_is_gone(client, ns, controller, nodes):
    await rolled_out(client, ns, strategy={"type": "Recreate"})
    nodes.confirm = lambda pod: False  # old pods stay Terminating until we say so
    await update(client, "Deployment", ns, "web", new_image)

    async def all_terminating():
        pods = await pods_of(client, ns, active_only=False)
        return len(pods) == 3 and all(p.metadata.HasField("deletion_timestamp") for p in pods)
    await wait_for(all_terminating, 20, "the old pods to be terminating")
    await sync_point(client, ns)
    assert await sizes(client, ns) == {OLD: 0}  # no new set while old pods still run
    await nodes.confirm_terminations()

    async def new_ready():
        d = await client.get("Deployment", "web", ns)
        return d.status.available_replicas == 3 and d.status.updated_replicas == 3
    await wait_for(new_ready, 20, "the new pods")
    last_old_gone = max(i for i, (t, _, image) in enumerate(nodes.log) if t == "DELETED" and image == OLD)
    first_new = min(i for i, (t, _, image) in enumerate(nodes.log) if t == "ADDED" and image == NEW)
    assert last_old_gone < first_new


async def test_undo_rolls_back_to_the_previous_revision(client, apiserver, ns, controller, nodes):
    d = await rolled_out(client, ns)
    first = {rs.metadata.name for rs in (await client.list("ReplicaSet", ns))[0]}
    await update(client, "Deployment", ns, "web", new_image)
    await wait_for(lambda: _complete(client, ns, 2), 20, "revision 2")
    rc, out, err = await kubelab(apiserver, "rollout", "undo", "deployment/web", "-n", ns)
    assert (rc, out, err) == (0, "deployment.apps/web rolled back\n", "")
    d = await wait_for(lambda: _complete(client, ns, 3), 20, "revision 3")
    assert d.spec.template.spec.containers[0].image == OLD
    items, _ = await client.list("ReplicaSet", ns)
    assert len(items) == 2 and first <= {rs.metadata.name for rs in items}  # the first set came back
    reused = next(rs for rs in items if rs.metadata.name in first)
    assert reused.metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    assert reused.metadata.annotations["deployment.kubernetes.io/revision-history"] == "1"
    rc, out, _ = await kubelab(apiserver, "rollout", "history", "deployment/web", "-n", ns)
    assert out.splitlines()[1:] == ["REVISION  CHANGE-CAUSE", "2         <none>", "3         <none>", ""]
    rc, out, err = await kubelab(apiserver, "rollout", "undo", "deployment/web", "-n", ns, "--to-revision", "3")
    assert (rc, out) == (0, "deployment.apps/web skipped rollback (current template already matches revision 3)\n")
    rc, _, err = await kubelab(apiserver, "rollout", "undo", "deployment/web", "-n", ns, "--to-revision", "9")
    assert (rc, err) == (1, "error: unable to find specified revision 9 in history\n")


async def _complete(client, ns, revision: int, replicas: int = 3):
    d = await client.get("Deployment", "web", ns)
    st = d.status
    if d.metadata.annotations.get("deployment.kubernetes.io/revision") != str(revision):
        return None
    return d if (st.updated_replicas, st.replicas, st.available_replicas, st.observed_generation) == \
        (replicas, replicas, replicas, d.metadata.generation) else None


async def test_pause_holds_template_changes_until_resume(client, apiserver, ns, controller, nodes):
    await rolled_out(client, ns)
    rc, out, _ = await kubelab(apiserver, "rollout", "pause", "deployment/web", "-n", ns)
    assert (rc, out) == (0, "deployment.apps/web paused\n")
    rc, _, err = await kubelab(apiserver, "rollout", "pause", "deployment/web", "-n", ns)
    assert (rc, err) == (1, 'error: deployments.apps "web" is already paused\n')
    d = await update(client, "Deployment", ns, "web", new_image)
    d = await observed(client, "Deployment", ns, "web", d.metadata.generation)
    assert await sizes(client, ns) == {OLD: 3}
    progressing = next(c for c in d.status.conditions if c.type == "Progressing")
    assert (progressing.status, progressing.reason) == ("Unknown", "DeploymentPaused")
    rc, _, err = await kubelab(apiserver, "rollout", "undo", "deployment/web", "-n", ns, "--to-revision", "1")
    assert (rc, err) == (1, "error: you cannot rollback a paused deployment; resume it first with "
                            "'kubelab rollout resume' and try again\n")
    rc, out, _ = await kubelab(apiserver, "rollout", "resume", "deployment/web", "-n", ns)
    assert (rc, out) == (0, "deployment.apps/web resumed\n")
    rc, out, err = await kubelab(apiserver, "rollout", "status", "deployment/web", "-n", ns, "--timeout", "30s")
    assert rc == 0, err
    assert out.splitlines()[-1] == 'deployment "web" successfully rolled out'
    assert all(line.startswith('Waiting for deployment') for line in out.splitlines()[:-1])
    assert await sizes(client, ns) == {OLD: 0, NEW: 3}


async def test_a_stuck_rollout_passes_its_progress_deadline(client, apiserver, ns, controller, nodes):
    await client.create(web(2, progressDeadlineSeconds=2), ns)
    await wait_for(lambda: _complete(client, ns, 1, replicas=2), 20, "the first rollout")
    nodes.ready = lambda pod: pod.spec.containers[0].image == OLD
    await update(client, "Deployment", ns, "web", new_image)
    rc, out, err = await kubelab(apiserver, "rollout", "status", "deployment/web", "-n", ns, "--timeout", "30s")
    assert (rc, err) == (1, 'error: deployment "web" exceeded its progress deadline\n')
    assert out.startswith('Waiting for deployment "web" rollout to finish: ')
    d = await client.get("Deployment", "web", ns)
    conds = {c.type: c for c in d.status.conditions}
    new_rs = next(rs for rs in (await client.list("ReplicaSet", ns))[0]
                  if rs.spec.template.spec.containers[0].image == NEW)
    assert (conds["Progressing"].status, conds["Progressing"].reason, conds["Progressing"].message) == \
        ("False", "ProgressDeadlineExceeded", f'ReplicaSet "{new_rs.metadata.name}" has timed out progressing.')
    assert (conds["Available"].status, conds["Available"].reason) == ("True", "MinimumReplicasAvailable")
    events = [e for e in (await client.list("Event", ns))[0] if e.involved_object.kind == "Deployment"]
    assert {e.source.component for e in events} == {"deployment-controller"}


async def test_a_hash_collision_bumps_collision_count(client, ns, controllers, nodes):
    """The name `web-<hash>` is taken by a set with another template: the Deployment counts a collision and
    creates its set under the next name."""
    controllers("replicaset")
    controllers("lifecycle")
    await rolled_out(client, ns)
    (taken,) = (await client.list("ReplicaSet", ns))[0]
    await client.delete("Deployment", "web", ns, propagation_policy="Orphan")

    async def orphaned():  # the set lets go of its owner first; the Deployment's orphan finalizer goes after
        rs = await client.get("ReplicaSet", taken.metadata.name, ns)
        deployments, _ = await client.list("Deployment", ns)
        return not rs.metadata.owner_references and not deployments
    await wait_for(orphaned, 20, "the set to be orphaned and the Deployment gone")
    await update(client, "ReplicaSet", ns, taken.metadata.name, new_image)  # same name, another template
    d = await client.create(web(3), ns)  # the same template as before: the same hash

    async def collided():
        d = await client.get("Deployment", "web", ns)
        items, _ = await client.list("ReplicaSet", ns)
        mine = [rs for rs in items if rs.spec.template.spec.containers[0].image == OLD]
        return (d, mine) if d.status.collision_count == 1 and mine else None
    d, (mine,) = await wait_for(collided, 20, "a collision and a set under another name")
    assert mine.metadata.name != taken.metadata.name
    assert mine.metadata.owner_references[0].uid == d.metadata.uid
