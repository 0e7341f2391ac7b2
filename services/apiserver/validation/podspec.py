"""PodSpec and pod templates: volumes, containers, policies, scheduling constraints (k/k core validation)."""
from __future__ import annotations


from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import FieldError, Path, duplicate, forbidden, invalid, not_supported, required
from kubelab.validation_names import is_dns1123_label, is_valid_label_value, name_is_dns_subdomain
from services.apiserver.specmemo import SpecMemo

from .common import Errors, each, inclusive_range_error, is_valid_ip, quantity
from .containers import validate_containers, validate_init_containers
from .meta import validate_label_name, validate_label_selector, validate_labels, validate_template_meta
from .volumes import validate_node_selector, validate_node_selector_term, validate_volume_source

__all__ = ["validate_pod_spec", "validate_pod_template_spec", "validate_tolerations"]

_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def _volumes(volumes, path: Path) -> tuple[dict[str, core_pb2.Volume], Errors]:
    """ValidateVolumes: the valid volumes by name (for mounts to refer to) and the errors."""
    valid: dict[str, core_pb2.Volume] = {}
    errs: Errors = []
    for i, vol in enumerate(volumes):
        p = path.index(i)
        el = validate_volume_source(vol, p, pod_volume=True)
        if vol.HasField("empty_dir") and vol.empty_dir.HasField("size_limit"):
            q = quantity(vol.empty_dir.size_limit)
            if q is None or q < 0:
                el.append(forbidden(p.child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"))
        if not vol.name:
            el.append(required(p.child("name")))
        else:
            el += [invalid(p.child("name"), vol.name, m) for m in is_dns1123_label(vol.name)]
        if vol.name in valid:
            el.append(duplicate(p.child("name"), vol.name))
        if el:
            errs += el
        else:
            valid[vol.name] = vol
    return valid, errs


def validate_tolerations(tolerations, path: Path) -> Errors:
    errs: Errors = []
    for i, t in enumerate(tolerations):
        p = path.index(i)
        if t.key:
            errs += validate_label_name(t.key, p.child("key"))
        if not t.key and t.operator != "Exists":
            errs.append(invalid(p.child("operator"), t.operator, 'operator must be Exists when `key` is empty, '
                                'which means "match all values and all keys"'))
        if t.HasField("toleration_seconds") and t.effect != "NoExecute":
            errs.append(invalid(p.child("effect"), t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if t.operator in ("Equal", ""):
            msgs = is_valid_label_value(t.value)
            if msgs:
                errs.append(invalid(p.child("operator"), t.value, ";".join(msgs)))
        elif t.operator == "Exists":
            if t.value:
                errs.append(invalid(p.child("operator"), t.value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(not_supported(p.child("operator"), t.operator, ["Equal", "Exists"]))
        if t.effect and t.effect not in _TAINT_EFFECTS:
            errs.append(not_supported(p.child("effect"), t.effect, _TAINT_EFFECTS))
    return errs


def _pod_affinity_terms(terms, path: Path, weighted: bool) -> Errors:
    errs: Errors = []
    for i, term in enumerate(terms):
        p = path.index(i)
        if weighted:
            if not 1 <= term.weight <= 100:
                errs.append(invalid(p.child("weight"), term.weight, "must be in the range 1-100"))
            term, p = term.pod_affinity_term, p.child("podAffinityTerm")
        if term.HasField("label_selector"):
            errs += validate_label_selector(term.label_selector, p.child("labelSelector"))
        for ns in term.namespaces:
            errs += [invalid(p.child("namespace"), ns, m) for m in is_dns1123_label(ns)]
        if not term.topology_key:
            errs.append(required(p.child("topologyKey"), "can not be empty"))
        errs += validate_label_name(term.topology_key, p.child("topologyKey"))
    return errs


def _affinity(aff: core_pb2.Affinity, path: Path) -> Errors:
    errs: Errors = []
    if aff.HasField("node_affinity"):
        na, p = aff.node_affinity, path.child("nodeAffinity")
        if na.HasField("required_during_scheduling_ignored_during_execution"):
            errs += validate_node_selector(na.required_during_scheduling_ignored_during_execution,
                                           p.child("requiredDuringSchedulingIgnoredDuringExecution"))
        for i, term in enumerate(na.preferred_during_scheduling_ignored_during_execution):
            tp = p.child("preferredDuringSchedulingIgnoredDuringExecution").index(i)
            if not 1 <= term.weight <= 100:
                errs.append(invalid(tp.child("weight"), term.weight, "must be in the range 1-100"))
            # preferred terms may name label values no node has yet
            errs += validate_node_selector_term(term.preference, tp.child("preference"), strict_values=False)
    for field, name in (("pod_affinity", "podAffinity"), ("pod_anti_affinity", "podAntiAffinity")):
        if aff.HasField(field):
            pa, p = getattr(aff, field), path.child(name)
            errs += _pod_affinity_terms(pa.required_during_scheduling_ignored_during_execution,
                                        p.child("requiredDuringSchedulingIgnoredDuringExecution"), False)
            errs += _pod_affinity_terms(pa.preferred_during_scheduling_ignored_during_execution,
                                        p.child("preferredDuringSchedulingIgnoredDuringExecution"), True)
    return errs


def _dns(spec: core_pb2.PodSpec, path: Path) -> Errors:
    policy, errs = spec.dns_policy, []
    supported = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    if not policy:
        errs.append(required(path.child("dnsPolicy")))
    elif policy not in supported:
        errs.append(not_supported(path.child("dnsPolicy"), policy, supported))
    cp = path.child("dnsConfig")
    if policy == "None" and not spec.HasField("dns_config"):
        return errs + [required(cp, "must provide `dnsConfig` when `dnsPolicy` is None")]
    if policy == "None" and not spec.dns_config.nameservers:
        return errs + [required(cp.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    cfg = spec.dns_config
    if len(cfg.nameservers) > 3:
        errs.append(invalid(cp.child("nameservers"), list(cfg.nameservers), "must not have more than 3 nameservers"))
    for i, ns in enumerate(cfg.nameservers):
        errs += is_valid_ip(cp.child("nameservers").index(i), ns)
    if len(cfg.searches) > 32:
        errs.append(invalid(cp.child("searches"), list(cfg.searches), "must not have more than 32 search paths"))
    for i, s in enumerate(cfg.searches):
        errs += each([s.removesuffix(".")], name_is_dns_subdomain, cp.child("searches").index(i))
    for i, opt in enumerate(cfg.options):
        if not opt.name:
            errs.append(required(cp.child("options").index(i), "must not be empty"))
    return errs


# The answers of the last pod spec validations, by the spec's bytes. A spec is most of a
# Pod's validation, and the API server sees the same one again and again: every replica a ReplicaSet
# creates from its template, an update that leaves the spec alone (labels, annotations, finalizers),
# a workload's update that leaves its template alone. The validation is a function of the spec alone.
# Specs larger than 16 KB are validated every time (services/apiserver/specmemo.py).
_spec_memo: SpecMemo[tuple[FieldError, ...]] = SpecMemo()


def validate_pod_spec(spec: core_pb2.PodSpec, path: Path, is_pod: bool = False) -> Errors:
    """ValidatePodSpec (expects defaults applied: a missing grace period is an error here, as there)."""
    data = spec.SerializeToString(deterministic=True)
    if not _spec_memo.fits(data):
        return _validate_pod_spec(spec, path, is_pod)
    key = (data, path, is_pod)
    errs = _spec_memo.get(key)
    if errs is None:
        errs = _spec_memo.put(key, tuple(_validate_pod_spec(spec, path, is_pod)))
    return list(errs)


def _validate_pod_spec(spec: core_pb2.PodSpec, path: Path, is_pod: bool) -> Errors:
    errs: Errors = []
    if not spec.HasField("termination_grace_period_seconds"):
        errs.append(required(path.child("terminationGracePeriodSeconds")))
    volumes, vol_errs = _volumes(spec.volumes, path.child("volumes"))
    errs += vol_errs
    errs += validate_containers(spec.containers, volumes, path.child("containers"))
    errs += validate_init_containers(spec.init_containers, spec.containers, volumes, path.child("initContainers"))
    if spec.host_network:
        for i, c in enumerate(spec.containers):
            for j, port in enumerate(c.ports):
                if (is_pod or port.host_port) and port.host_port != port.container_port:
                    errs.append(invalid(path.child("containers").index(i).child("ports").index(j).child("hostPort"),
                                        port.host_port, "must match `containerPort` when `hostNetwork` is true"))
    if not spec.restart_policy:
        errs.append(required(path.child("restartPolicy")))
    elif spec.restart_policy not in ("Always", "OnFailure", "Never"):
        errs.append(not_supported(path.child("restartPolicy"), spec.restart_policy, ["Always", "OnFailure", "Never"]))
    errs += _dns(spec, path)
    errs += validate_labels(spec.node_selector, path.child("nodeSelector"))
    if spec.HasField("affinity"):
        errs += _affinity(spec.affinity, path.child("affinity"))
    for field, name in (("service_account_name", "serviceAccountName"), ("node_name", "nodeName"),
                        ("priority_class_name", "priorityClassName")):
        if getattr(spec, field):
            errs += each([getattr(spec, field)], name_is_dns_subdomain, path.child(name))
    if spec.HasField("active_deadline_seconds") and not 1 <= spec.active_deadline_seconds <= 2147483647:
        errs.append(invalid(path.child("activeDeadlineSeconds"), spec.active_deadline_seconds,
                            inclusive_range_error(1, 2147483647)))
    for field in ("hostname", "subdomain"):
        if getattr(spec, field):
            errs += each([getattr(spec, field)], is_dns1123_label, path.child(field))
    errs += validate_tolerations(spec.tolerations, path.child("tolerations"))
    for i, alias in enumerate(spec.host_aliases):
        ap = path.child("hostAliases").index(i)
        errs += is_valid_ip(ap.child("ip"), alias.ip)
        for j, host in enumerate(alias.hostnames):
            errs += each([host], name_is_dns_subdomain, ap.child("hostnames").index(j))
    return errs


def validate_pod_template_spec(template: core_pb2.PodTemplateSpec, path: Path) -> Errors:
    """ValidatePodTemplateSpec: the template's labels and annotations, then its pod spec."""
    return validate_template_meta(template.metadata, path) + validate_pod_spec(template.spec, path.child("spec"))

