"""`kubelab rollout` for StatefulSets: kubectl's StatefulSetStatusViewer, StatefulSetHistoryViewer and
StatefulSetRollbacker (k8s.io/kubectl/pkg/polymorphichelpers).

The history is the set's ControllerRevisions (those it controls). A revision's data is the patch
`{"spec": {"template": {..., "$patch": "replace"}}}`: undo puts that template back into the set, and the
StatefulSet controller then reuses that revision (renumbered as the newest) instead of making a new one.
"""

from __future__ import annotations

from google.protobuf import json_format
from google.protobuf.message import Message

from kubelab.api.v1 import core_pb2
from kubelab.cli.describe.page import PrefixWriter
from kubelab.cli.describe.pods import describe_pod_template
from kubelab.cli.render.tabwriter import describe_writer
from kubelab.cli.session import CliError
from kubelab.errors import ApiError, is_conflict
from kubelab.manifest import plain_numbers

__all__ = ["status", "history", "undo", "controlled_history", "template_of"]

CHANGE_CAUSE = "kubernetes.io/change-cause"


def status(sts: Message) -> tuple[str, bool]:
    """(the line kubectl prints, whether the rollout is done)."""
    spec, st = sts.spec, sts.status
    if spec.update_strategy.type != "RollingUpdate":
        raise CliError("error: rollout status is only available for RollingUpdate strategy type")
    if st.observed_generation == 0 or sts.metadata.generation > st.observed_generation:
        return "Waiting for statefulset spec update to be observed...\n", False
    replicas = spec.replicas if spec.HasField("replicas") else 1
    if st.ready_replicas < replicas:
        return f"Waiting for {replicas - st.ready_replicas} pods to be ready...\n", False
    ru = spec.update_strategy
    if ru.HasField("rolling_update"):
        if ru.rolling_update.HasField("partition"):
            want = replicas - ru.rolling_update.partition
            if st.updated_replicas < want:
                return (f"Waiting for partitioned roll out to finish: {st.updated_replicas} out of {want} new pods "
                        "have been updated...\n"), False
        return f"partitioned roll out complete: {st.updated_replicas} new pods have been updated...\n", True
    if st.update_revision != st.current_revision:
        return (f"waiting for statefulset rolling update to complete {st.updated_replicas} pods at revision "
                f"{st.update_revision}...\n"), False
    return (f"statefulset rolling update complete {st.current_replicas} pods at revision "
            f"{st.current_revision}...\n"), True


async def controlled_history(client, sts: Message) -> list[Message]:
    """The set's ControllerRevisions (controlled by it), oldest first."""
    items, _ = await client.list("ControllerRevision", sts.metadata.namespace)
    mine = [r for r in items if any(ref.controller and ref.uid == sts.metadata.uid
                                    for ref in r.metadata.owner_references)]
    return sorted(mine, key=lambda r: r.revision)



def template_of(rev: Message) -> core_pb2.PodTemplateSpec:
    data = plain_numbers(json_format.MessageToDict(rev.data)) if rev.HasField("data") else {}
    template = dict(data.get("spec", {}).get("template", {}))
    template.pop("$patch", None)
    out = core_pb2.PodTemplateSpec()
    json_format.ParseDict(template, out)
    return out


async def history(ctx, sts: Message, revision: int) -> str:
    revisions = await controlled_history(ctx.client, sts)
    if not revisions:
        return "No rollout history found."
    if revision > 0:
        match = [r for r in revisions if r.revision == revision]
        if not match:
            raise CliError("error: unable to find the specified revision")
        w = PrefixWriter()
        describe_pod_template(w, template_of(match[-1]))
        return w.render()
    rows = "REVISION\tCHANGE-CAUSE\n" + "".join(
        f"{r.revision}\t{r.metadata.annotations.get(CHANGE_CAUSE) or '<none>'}\n" for r in revisions)
    return describe_writer().format(rows)  # kubectl's tabbedString


async def undo(ctx, sts: Message, to_revision: int) -> str:
    """kubectl's StatefulSetRollbacker: the previous revision (or `to_revision`) back into the template."""
    if to_revision < 0:
        raise CliError(f"error: unable to find specified revision {to_revision} in history")
    revisions = await controlled_history(ctx.client, sts)
    if to_revision == 0:
        if len(revisions) <= 1:
            raise CliError("error: no last revision to roll back to")
        target = revisions[-2]
    else:
        target = next((r for r in revisions if r.revision == to_revision), None)
        if target is None:
            raise CliError(f"error: unable to find specified revision {to_revision} in history")
    template = template_of(target)
    for _ in range(10):
        if sts.spec.template == template:
            return f"skipped rollback (current template already matches revision {target.revision})"
        sts.spec.template.CopyFrom(template)
        try:
            await ctx.client.update(sts)
            return "rolled back"
        except ApiError as e:
            if not is_conflict(e):
                raise
            sts = await ctx.client.get("StatefulSet", sts.metadata.name, sts.metadata.namespace)
    raise CliError("error: could not roll back: the StatefulSet kept changing")
