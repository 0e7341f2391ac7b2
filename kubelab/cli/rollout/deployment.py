"""`kubelab rollout` for Deployments: kubectl's DeploymentStatusViewer, DeploymentHistoryViewer and
DeploymentRollbacker (k8s.io/kubectl/pkg/polymorphichelpers), and `rollout pause|resume` (kubectl's
objectPauser/objectResumer).

    kubelab rollout status deployment/web     Waiting for deployment "web" rollout to finish: 1 of 3 updated
                                              replicas are available...
                                              deployment "web" successfully rolled out
    kubelab rollout history deployment/web [--revision N]
    kubelab rollout undo deployment/web [--to-revision N]     deployment.apps/web rolled back
    kubelab rollout pause deployment/web                      deployment.apps/web paused
    kubelab rollout resume deployment/web                     deployment.apps/web resumed

A Deployment's history is its ReplicaSets: each carries the `deployment.kubernetes.io/revision` it was
rolled out as; undo copies a set's template (without its pod-template-hash label) and annotations back
into the Deployment, which then reuses that set as the newest revision.

kubelab.cli.rollout.KINDS lists this module for Deployments; kubelab.cli.cmd.rollout registers pause and
resume with the functions here.
"""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.cli.describe.page import PrefixWriter
from kubelab.cli.describe.pods import describe_pod_template
from kubelab.cli.render.tabwriter import describe_writer
from kubelab.cli.session import CliError
from kubelab.errors import ApiError, is_conflict
from kubelab.labels import label_selector_as_selector

__all__ = ["status", "history", "undo", "pause", "resume", "controlled_replica_sets"]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
TIMED_OUT = "ProgressDeadlineExceeded"
#: Annotations a rollback keeps from the Deployment rather than taking from the ReplicaSet.
KEEP_ON_ROLLBACK = ("kubectl.kubernetes.io/last-applied-configuration", REVISION,
                    "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                    "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to")


def status(d: Message) -> tuple[str, bool]:
    """(the line kubectl prints, whether the rollout is done); a rollout past its deadline is an error."""
    name, st = d.metadata.name, d.status
    if d.metadata.generation > st.observed_generation:
        return "Waiting for deployment spec update to be observed...\n", False
    if any(c.type == "Progressing" and c.reason == TIMED_OUT for c in st.conditions):
        raise CliError(f'error: deployment "{name}" exceeded its progress deadline')
    replicas = d.spec.replicas if d.spec.HasField("replicas") else 1
    if st.updated_replicas < replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {st.updated_replicas} out of {replicas} new '
                "replicas have been updated...\n"), False
    if st.replicas > st.updated_replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {st.replicas - st.updated_replicas} old '
                "replicas are pending termination...\n"), False
    if st.available_replicas < st.updated_replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {st.available_replicas} of '
                f"{st.updated_replicas} updated replicas are available...\n"), False
    return f'deployment "{name}" successfully rolled out\n', True


def _revision(rs: Message) -> int | None:
    try:
        return int(rs.metadata.annotations.get(REVISION, "0"))
    except ValueError:
        return None


async def controlled_replica_sets(client, d: Message) -> list[apps_pb2.ReplicaSet]:
    """The ReplicaSets the Deployment selects and controls (deploymentutil.GetAllReplicaSets)."""
    items, _ = await client.list("ReplicaSet", d.metadata.namespace)
    selector = label_selector_as_selector(d.spec.selector)
    return [rs for rs in items if selector.matches(rs.metadata.labels)
            and any(r.controller and r.uid == d.metadata.uid for r in rs.metadata.owner_references)]


async def history(ctx, d: Message, revision: int) -> str:
    templates: dict[int, core_pb2.PodTemplateSpec] = {}
    for rs in await controlled_replica_sets(ctx.client, d):
        rev = _revision(rs)
        if rev is None:
            continue
        tpl = core_pb2.PodTemplateSpec()
        tpl.CopyFrom(rs.spec.template)
        if rs.metadata.annotations.get(CHANGE_CAUSE):
            tpl.metadata.annotations[CHANGE_CAUSE] = rs.metadata.annotations[CHANGE_CAUSE]
        templates[rev] = tpl
    if not templates:
        return "No rollout history found."
    if revision > 0:
        if revision not in templates:
            raise CliError("error: unable to find the specified revision")
        w = PrefixWriter()
        describe_pod_template(w, templates[revision])
        return w.render()
    rows = "REVISION\tCHANGE-CAUSE\n" + "".join(
        f"{r}\t{templates[r].metadata.annotations.get(CHANGE_CAUSE) or '<none>'}\n" for r in sorted(templates))
    return describe_writer().format(rows)


def _without_hash(template: core_pb2.PodTemplateSpec) -> core_pb2.PodTemplateSpec:
    out = core_pb2.PodTemplateSpec()
    out.CopyFrom(template)
    out.metadata.labels.pop(HASH_LABEL, None)
    return out


async def _revision_to(ctx, d: Message, to_revision: int) -> apps_pb2.ReplicaSet:
    """The set of `to_revision`, or (0) of the revision before the newest (kubectl's deploymentRevision)."""
    latest, previous = (-1, None), (-1, None)
    for rs in await controlled_replica_sets(ctx.client, d):
        rev = _revision(rs)
        if rev is None:
            continue
        if to_revision == 0:
            if latest[0] < rev:
                previous, latest = latest, (rev, rs)
            elif previous[0] < rev:
                previous = (rev, rs)
        elif rev == to_revision:
            return rs
    if to_revision > 0:
        raise CliError(f"error: unable to find specified revision {to_revision} in history")
    if previous[1] is None:
        raise CliError(f'error: no rollout history found for deployment "{d.metadata.name}"')
    return previous[1]


async def undo(ctx, d: Message, to_revision: int) -> str:
    if to_revision < 0:
        raise CliError(f"error: unable to find specified revision {to_revision} in history")
    target = await _revision_to(ctx, d, to_revision)
    for _ in range(10):
        if d.spec.paused:
            raise CliError("error: you cannot rollback a paused deployment; resume it first with "
                           "'kubelab rollout resume' and try again")
        if _without_hash(target.spec.template) == _without_hash(d.spec.template):
            return f"skipped rollback (current template already matches revision {to_revision})"
        annotations = {k: v for k, v in d.metadata.annotations.items() if k in KEEP_ON_ROLLBACK}
        annotations.update({k: v for k, v in target.metadata.annotations.items() if k not in KEEP_ON_ROLLBACK})
        d.spec.template.CopyFrom(_without_hash(target.spec.template))
        d.metadata.annotations.clear()
        d.metadata.annotations.update(annotations)
        try:
            await ctx.client.update(d)
            return "rolled back"
        except ApiError as e:
            if not is_conflict(e):
                raise CliError(f"error: failed restoring revision {to_revision}: {e}") from None
            d = await ctx.client.get("Deployment", d.metadata.name, d.metadata.namespace)
    raise CliError("error: could not roll back: the Deployment kept changing")


async def _set_paused(ctx, paused: bool) -> int:
    from kubelab.cli.targets import kind_prefix, parse_targets

    verb = "pause" if paused else "resume"
    for target in parse_targets(ctx.args.resources, f"rollout {verb}"):
        info = target.info
        for name in target.names:
            if info.kind != "Deployment":
                ctx.error(f'error: {info.resource} "{name}" {"pausing" if paused else "resuming"} is not supported')
                continue
            try:
                d = await ctx.client.get(info, name, ctx.namespace)
                if d.spec.paused == paused:
                    ctx.error(f'error: {info.resource} "{name}" is {"already paused" if paused else "not paused"}')
                    continue
                await ctx.client.patch(info, name, {"spec": {"paused": paused}}, namespace=ctx.namespace)
            except ApiError as e:
                ctx.api_error(e)
                continue
            ctx.out(f"{kind_prefix(info)}/{name} {'paused' if paused else 'resumed'}\n")
    return ctx.status()


async def pause(ctx) -> int:
    """kubelab rollout pause: no rollout starts from template changes until resumed."""
    return await _set_paused(ctx, True)


async def resume(ctx) -> int:
    return await _set_paused(ctx, False)
