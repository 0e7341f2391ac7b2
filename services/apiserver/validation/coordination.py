"""coordination.k8s.io: Lease (k/k pkg/apis/coordination/validation)."""
from __future__ import annotations

from kubelab.api.v1 import coordination_pb2
from kubelab.fielderrors import Path, forbidden, invalid, not_supported
from kubelab.validation_names import is_qualified_name, name_is_dns_subdomain

from .common import Errors
from .meta import validate_object_meta, validate_object_meta_update

__all__ = ["validate_lease", "validate_lease_update"]

LEASE_STRATEGIES = ["OldestEmulationVersion"]


def _spec(spec: coordination_pb2.LeaseSpec, path: Path) -> Errors:
    errs: Errors = []
    if spec.HasField("lease_duration_seconds") and spec.lease_duration_seconds <= 0:
        errs.append(invalid(path.child("leaseDurationSeconds"), spec.lease_duration_seconds, "must be greater than 0"))
    if spec.HasField("lease_transitions") and spec.lease_transitions < 0:
        errs.append(invalid(path.child("leaseTransitions"), spec.lease_transitions,
                            "must be greater than or equal to 0"))
    if spec.HasField("strategy"):
        p = path.child("strategy").child("strategy")  # sic: Kubernetes appends "strategy" twice
        if "/" not in spec.strategy:
            if spec.strategy not in LEASE_STRATEGIES:
                errs.append(not_supported(p, spec.strategy, LEASE_STRATEGIES))
        else:
            errs += [invalid(p, spec.strategy, m) for m in is_qualified_name(spec.strategy)]
    if spec.HasField("preferred_holder") and spec.preferred_holder and not spec.strategy:
        errs.append(forbidden(path.child("preferredHolder"), "may only be specified if `strategy` is defined"))
    return errs


def validate_lease(lease: coordination_pb2.Lease) -> Errors:
    return validate_object_meta(lease.metadata, True, name_is_dns_subdomain) + _spec(lease.spec, Path("spec"))


def validate_lease_update(new: coordination_pb2.Lease, old: coordination_pb2.Lease) -> Errors:
    return validate_object_meta_update(new.metadata, old.metadata) + _spec(new.spec, Path("spec"))
