"""apps/v1: Deployment, ReplicaSet, StatefulSet, ControllerRevision (k/k pkg/apis/apps/validation).

Kubernetes checks a Deployment's or ReplicaSet's whole pod template, but of a StatefulSet's template
only labels, annotations, restartPolicy and activeDeadlineSeconds: its pods' other mistakes surface
when the controller creates them. Both are reproduced as they are.
"""
from __future__ import annotations

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.fielderrors import Path, forbidden, invalid, not_supported, required
from kubelab.labels import selector_matches

from .common import Errors, FIELD_IMMUTABLE, as_json, go_struct, int_or_string, is_valid_percent, nonnegative
from .meta import name_rule, validate_label_selector, validate_object_meta, validate_object_meta_update, \
    validate_template_meta
from .podspec import validate_pod_template_spec

__all__ = [
    "validate_deployment", "validate_deployment_update", "validate_replica_set", "validate_replica_set_update",
    "validate_stateful_set", "validate_stateful_set_update", "validate_controller_revision",
    "validate_controller_revision_update", "STATEFULSET_SPEC_FORBIDDEN",
]

STATEFULSET_SPEC_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def _labels_value(labels) -> dict[str, str] | None:
    return dict(labels) or None  # Go's nil map renders as null


def _selector(spec, path: Path, workload: str) -> tuple[Errors, bool]:
    """Required, valid, non-empty; returns the errors and whether the selector converts to a selector."""
    sel_path = path.child("selector")
    if not spec.HasField("selector"):
        return [required(sel_path)], True  # converts to "nothing", which matches no template
    errs = validate_label_selector(spec.selector, sel_path)
    convertible = not errs
    if not spec.selector.match_labels and not spec.selector.match_expressions:
        errs.append(invalid(sel_path, spec.selector, f"empty selector is invalid for {workload}"))
    return errs, convertible


def _template_matches(spec, path: Path) -> Errors:
    """The template's labels must satisfy the selector; a missing selector matches nothing."""
    sel = spec.selector if spec.HasField("selector") else None
    if sel is not None and not sel.match_labels and not sel.match_expressions:
        return []
    labels = spec.template.metadata.labels
    if sel is None or not selector_matches(sel, labels):
        return [invalid(path.child("metadata", "labels"), _labels_value(labels), SELECTOR_MISMATCH)]
    return []


def _template_restart(template: core_pb2.PodTemplateSpec, path: Path, owner: str) -> Errors:
    errs: Errors = []
    if template.spec.restart_policy != "Always":
        errs.append(not_supported(path.child("spec", "restartPolicy"), template.spec.restart_policy, ["Always"]))
    if template.spec.HasField("active_deadline_seconds"):
        errs.append(forbidden(path.child("spec", "activeDeadlineSeconds"), f"activeDeadlineSeconds in {owner} is not Supported"))
    return errs


def _replica_set_like(spec, path: Path, workload: str) -> Errors:
    """The selector and template rules shared by ReplicaSet and Deployment specs."""
    errs = nonnegative(spec.replicas, path.child("replicas"))
    sel_errs, ok = _selector(spec, path, workload)
    errs += sel_errs
    if not ok:
        return errs + [invalid(path.child("selector"), spec.selector, "invalid label selector")]
    tpl = path.child("template")
    errs += _template_matches(spec, tpl)
    errs += validate_pod_template_spec(spec.template, tpl)
    return errs + _template_restart(spec.template, tpl, "ReplicaSet")


def _int_or_percent(value, path: Path) -> Errors:
    v = int_or_string(value)
    if isinstance(v, str):
        return [invalid(path, v, m) for m in is_valid_percent(v)]
    return nonnegative(v, path)


def _amount(value) -> int:
    v = int_or_string(value)
    if isinstance(v, int):
        return v
    return int(v[:-1]) if not is_valid_percent(v) else 0


def _not_over_100_percent(value, path: Path) -> Errors:
    v = int_or_string(value)
    if isinstance(v, str) and not is_valid_percent(v) and int(v[:-1]) > 100:
        return [invalid(path, v, "must not be greater than 100%")]
    return []


def _deployment_strategy(strategy: apps_pb2.DeploymentStrategy, path: Path) -> Errors:
    ru = path.child("rollingUpdate")
    if strategy.type == "Recreate":
        if strategy.HasField("rolling_update"):
            return [forbidden(ru, "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if strategy.type != "RollingUpdate":
        return [not_supported(path, go_struct(strategy), ["Recreate", "RollingUpdate"])]
    if not strategy.HasField("rolling_update"):
        return [required(ru, "this should be defaulted and never be nil")]
    r = strategy.rolling_update
    errs = _int_or_percent(r.max_unavailable, ru.child("maxUnavailable"))
    errs += _int_or_percent(r.max_surge, ru.child("maxSurge"))
    if _amount(r.max_unavailable) == 0 and _amount(r.max_surge) == 0:
        errs.append(invalid(ru.child("maxUnavailable"), int_or_string(r.max_unavailable),
                            "may not be 0 when `maxSurge` is 0"))
    return errs + _not_over_100_percent(r.max_unavailable, ru.child("maxUnavailable"))


def _deployment_spec(spec: apps_pb2.DeploymentSpec, path: Path) -> Errors:
    errs = _replica_set_like(spec, path, "deployment")
    errs += _deployment_strategy(spec.strategy, path.child("strategy"))
    errs += nonnegative(spec.min_ready_seconds, path.child("minReadySeconds"))
    if spec.HasField("revision_history_limit"):
        errs += nonnegative(spec.revision_history_limit, path.child("revisionHistoryLimit"))
    if spec.HasField("progress_deadline_seconds"):
        pds = path.child("progressDeadlineSeconds")
        errs += nonnegative(spec.progress_deadline_seconds, pds)
        if spec.progress_deadline_seconds <= spec.min_ready_seconds:
            errs.append(invalid(pds, spec.progress_deadline_seconds, "must be greater than minReadySeconds"))
    return errs


def validate_deployment(d: apps_pb2.Deployment) -> Errors:
    return validate_object_meta(d.metadata, True, name_rule("Deployment")) + _deployment_spec(d.spec, Path("spec"))


def _selector_immutable(new, old) -> Errors:
    if new.HasField("selector") == old.HasField("selector") and new.selector == old.selector:
        return []
    shown = new.selector if new.HasField("selector") else None
    return [invalid(Path("spec", "selector"), shown, FIELD_IMMUTABLE)]


def validate_deployment_update(new: apps_pb2.Deployment, old: apps_pb2.Deployment) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + _deployment_spec(new.spec, Path("spec"))
    return errs + _selector_immutable(new.spec, old.spec)


def _replica_set_spec(spec: apps_pb2.ReplicaSetSpec, path: Path) -> Errors:
    errs = nonnegative(spec.min_ready_seconds, path.child("minReadySeconds"))
    return _replica_set_like(spec, path, "deployment") + errs  # sic: Kubernetes says "deployment" here too


def validate_replica_set(rs: apps_pb2.ReplicaSet) -> Errors:
    return validate_object_meta(rs.metadata, True, name_rule("ReplicaSet")) + _replica_set_spec(rs.spec, Path("spec"))


def validate_replica_set_update(new: apps_pb2.ReplicaSet, old: apps_pb2.ReplicaSet) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + _replica_set_spec(new.spec, Path("spec"))
    return errs + _selector_immutable(new.spec, old.spec)


def _stateful_update_strategy(strategy: apps_pb2.StatefulSetUpdateStrategy, path: Path) -> Errors:
    ru = path.child("rollingUpdate")
    if not strategy.type:
        return [required(path)]
    if strategy.type == "OnDelete":
        if strategy.HasField("rolling_update"):
            return [invalid(ru, go_struct(strategy.rolling_update), "only allowed for updateStrategy 'RollingUpdate'")]
        return []
    if strategy.type != "RollingUpdate":
        return [invalid(path, go_struct(strategy), "must be 'RollingUpdate' or 'OnDelete'")]
    if not strategy.HasField("rolling_update"):
        return []
    r = strategy.rolling_update
    errs = nonnegative(r.partition, ru.child("partition"))
    if r.HasField("max_unavailable"):
        mu = ru.child("maxUnavailable")
        errs += _int_or_percent(r.max_unavailable, mu)
        if _amount(r.max_unavailable) == 0:
            errs.append(invalid(mu, int_or_string(r.max_unavailable), "cannot be 0"))
        errs += _not_over_100_percent(r.max_unavailable, mu)
    return errs


def _stateful_set_spec(spec: apps_pb2.StatefulSetSpec, path: Path) -> Errors:
    errs: Errors = []
    policy = spec.pod_management_policy
    if not policy:
        errs.append(required(path.child("podManagementPolicy")))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid(path.child("podManagementPolicy"), policy, "must be 'OrderedReady' or 'Parallel'"))
    errs += _stateful_update_strategy(spec.update_strategy, path.child("updateStrategy"))
    if spec.HasField("persistent_volume_claim_retention_policy"):
        rp, p = spec.persistent_volume_claim_retention_policy, path.child("persistentVolumeClaimRetentionPolicy")
        for field, name in (("when_deleted", "whenDeleted"), ("when_scaled", "whenScaled")):
            if getattr(rp, field) not in ("Retain", "Delete"):
                errs.append(not_supported(p.child(name), getattr(rp, field), ["Retain", "Delete"]))
    errs += nonnegative(spec.replicas, path.child("replicas"))
    errs += nonnegative(spec.min_ready_seconds, path.child("minReadySeconds"))
    if spec.HasField("ordinals"):
        errs += nonnegative(spec.ordinals.start, path.child("ordinals.start"))
    sel_errs, ok = _selector(spec, path, "statefulset")
    errs += sel_errs
    tpl = path.child("template")
    if not ok:
        errs.append(invalid(path.child("selector"), spec.selector, ""))
    else:
        errs += _template_matches(spec, tpl) + validate_template_meta(spec.template.metadata, tpl)
    return errs + _template_restart(spec.template, tpl, "StatefulSet")


def validate_stateful_set(sts: apps_pb2.StatefulSet) -> Errors:
    return validate_object_meta(sts.metadata, True, name_rule("StatefulSet")) + \
        _stateful_set_spec(sts.spec, Path("spec"))


def validate_stateful_set_update(new: apps_pb2.StatefulSet, old: apps_pb2.StatefulSet) -> Errors:
    """Only replicas, ordinals, template, updateStrategy, revisionHistoryLimit, the claim retention policy
    and minReadySeconds change (reference §1.7 rule 36, as a current cluster words it)."""
    errs = validate_object_meta_update(new.metadata, old.metadata) + _stateful_set_spec(new.spec, Path("spec"))
    clone = apps_pb2.StatefulSetSpec()
    clone.CopyFrom(new.spec)
    clone.min_ready_seconds = old.spec.min_ready_seconds
    for field in ("replicas", "template", "update_strategy", "ordinals", "revision_history_limit",
                  "persistent_volume_claim_retention_policy"):
        _copy_field(clone, old.spec, field)
    if clone != old.spec:
        errs.append(forbidden(Path("spec"), STATEFULSET_SPEC_FORBIDDEN))
    return errs


def _copy_field(dst, src, name: str) -> None:
    dst.ClearField(name)
    if src.HasField(name):
        if src.DESCRIPTOR.fields_by_name[name].message_type is not None:
            getattr(dst, name).CopyFrom(getattr(src, name))
        else:
            setattr(dst, name, getattr(src, name))


def validate_controller_revision(rev: apps_pb2.ControllerRevision) -> Errors:
    errs = validate_object_meta(rev.metadata, True, name_rule("ControllerRevision"))
    if not rev.HasField("data"):
        errs.append(required(Path("data"), "data is mandatory"))
    return errs + nonnegative(rev.revision, Path("revision"))


def validate_controller_revision_update(new: apps_pb2.ControllerRevision, old: apps_pb2.ControllerRevision) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_controller_revision(new)
    if new.data != old.data:
        errs.append(invalid(Path("data"), as_json(new.data) if new.HasField("data") else None, FIELD_IMMUTABLE))
    return errs

