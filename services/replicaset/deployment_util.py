"""Rollout arithmetic over a Deployment and its ReplicaSets (k/k `deployment/util/deployment_util.go`,
apimachinery `intstr.GetScaledValueFromIntOrPercent`, `controller_utils.go` ReplicaSet orders). Pure.

Rounding, as Kubernetes rounds: maxSurge percentages round up, maxUnavailable percentages round down,
and when both come out 0, maxUnavailable is 1 (`ResolveFenceposts`). With 10 replicas and 25%/25%:
surge 3, unavailable 2. With 1 replica: surge 1, unavailable 0.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from google.protobuf.struct_pb2 import Value

from kubelab.api.v1 import apps_pb2
from services.replicaset.annotations import desired_replicas_annotation, max_replicas_annotation, revision_of
from services.replicaset.hashing import equal_ignore_hash
from services.replicaset.podutil import seconds

__all__ = [
    "replicas_of", "int_or_percent", "scaled_value", "resolve_fenceposts", "is_rolling_update", "max_surge",
    "max_unavailable", "min_available", "by_creation", "by_size_newer", "by_size_older", "by_revision",
    "find_new_replica_set", "find_old_replica_sets", "active", "find_active_or_latest", "total_replicas",
    "actual_replicas", "ready_replicas", "available_replicas", "new_rs_new_replicas", "is_saturated",
    "proportion", "MAX_INT32",
]

MAX_INT32 = 2 ** 31 - 1
RS = apps_pb2.ReplicaSet


def replicas_of(obj) -> int:
    """spec.replicas of a Deployment or ReplicaSet (1 when unset, as defaulted)."""
    return obj.spec.replicas if obj.spec.HasField("replicas") else 1


def int_or_percent(value: Value) -> int | str:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return int(value.number_value)
    if kind == "string_value":
        return value.string_value
    return 0


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` rounded up or down."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        try:
            return int(text)
        except ValueError:
            raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage") from None
    pct = int(text[:-1])
    return -((-pct * total) // 100) if round_up else (pct * total) // 100


def resolve_fenceposts(surge: int | str, unavailable: int | str, desired: int) -> tuple[int, int]:
    s = scaled_value(surge, desired, True)
    u = scaled_value(unavailable, desired, False)
    if s == 0 and u == 0:
        u = 1  # surge may be impossible (quota): let one pod go instead
    return s, u


def is_rolling_update(d: apps_pb2.Deployment) -> bool:
    return d.spec.strategy.type == "RollingUpdate"


def _fenceposts(d: apps_pb2.Deployment) -> tuple[int, int]:
    ru = d.spec.strategy.rolling_update
    surge = int_or_percent(ru.max_surge) if ru.HasField("max_surge") else 0
    unavailable = int_or_percent(ru.max_unavailable) if ru.HasField("max_unavailable") else 0
    return resolve_fenceposts(surge, unavailable, replicas_of(d))


def max_surge(d: apps_pb2.Deployment) -> int:
    return _fenceposts(d)[0] if is_rolling_update(d) else 0


def max_unavailable(d: apps_pb2.Deployment) -> int:
    if not is_rolling_update(d) or replicas_of(d) == 0:
        return 0
    return min(_fenceposts(d)[1], replicas_of(d))


def min_available(d: apps_pb2.Deployment) -> int:
    return replicas_of(d) - max_unavailable(d) if is_rolling_update(d) else 0


# --- orders (pkg/controller ReplicaSetsByCreationTimestamp, BySizeOlder/Newer, ByRevision) ------------------

def _created(rs: RS) -> tuple[float, str]:
    return seconds(rs.metadata.creation_timestamp), rs.metadata.name


def by_creation(rss: Iterable[RS], newest_first: bool = False) -> list[RS]:
    return sorted(rss, key=_created, reverse=newest_first)


def by_size_older(rss: Iterable[RS]) -> list[RS]:
    """Larger first; same size: older first (scaling down)."""
    return sorted(rss, key=lambda rs: (-replicas_of(rs), _created(rs)))


def by_size_newer(rss: Iterable[RS]) -> list[RS]:
    """Larger first; same size: newer first (scaling up)."""
    def cmp(a: RS, b: RS) -> int:
        if replicas_of(a) != replicas_of(b):
            return replicas_of(b) - replicas_of(a)
        ca, cb = _created(a), _created(b)
        return -1 if ca > cb else 1 if ca < cb else 0
    return sorted(rss, key=functools.cmp_to_key(cmp))


def by_revision(rss: Iterable[RS]) -> list[RS]:
    """Oldest revision first; unparsable or equal revisions by creation."""
    def cmp(a: RS, b: RS) -> int:
        ra, rb = revision_of(a), revision_of(b)
        if ra is None or rb is None or ra == rb:
            ca, cb = _created(a), _created(b)
            return -1 if ca < cb else 1 if ca > cb else 0
        return -1 if ra < rb else 1
    return sorted(rss, key=functools.cmp_to_key(cmp))


# --- new and old ReplicaSets ----------------------------------------------------------------------------

def find_new_replica_set(d: apps_pb2.Deployment, rss: Iterable[RS]) -> RS | None:
    """The oldest set whose template equals the Deployment's, the hash label aside."""
    return next((rs for rs in by_creation(rss) if equal_ignore_hash(rs.spec.template, d.spec.template)), None)


def find_old_replica_sets(d: apps_pb2.Deployment, rss: Sequence[RS]) -> tuple[list[RS], list[RS]]:
    """(old sets with pods, all old sets)."""
    new = find_new_replica_set(d, rss)
    old = [rs for rs in rss if new is None or rs.metadata.uid != new.metadata.uid]
    return [rs for rs in old if replicas_of(rs) != 0], old


def active(rss: Iterable[RS | None]) -> list[RS]:
    return [rs for rs in rss if rs is not None and replicas_of(rs) > 0]


def find_active_or_latest(new: RS | None, old: Sequence[RS]) -> RS | None:
    """The only set with replicas, or the newest if none has any; None when several have replicas."""
    if new is None and not old:
        return None
    old = by_creation(old, newest_first=True)
    live = active([*old, new])
    if not live:
        return new if new is not None else old[0]
    return live[0] if len(live) == 1 else None


def total_replicas(rss: Iterable[RS | None]) -> int:
    return sum(replicas_of(rs) for rs in rss if rs is not None)


def actual_replicas(rss: Iterable[RS | None]) -> int:
    return sum(rs.status.replicas for rs in rss if rs is not None)


def ready_replicas(rss: Iterable[RS | None]) -> int:
    return sum(rs.status.ready_replicas for rs in rss if rs is not None)


def available_replicas(rss: Iterable[RS | None]) -> int:
    return sum(rs.status.available_replicas for rs in rss if rs is not None)


# --- sizes ---------------------------------------------------------------------------------------------

def new_rs_new_replicas(d: apps_pb2.Deployment, all_rss: Sequence[RS | None], new: RS) -> int:
    """How far the new set may grow now: up to replicas + maxSurge pods in all (RollingUpdate), or all
    the replicas at once (Recreate)."""
    if d.spec.strategy.type == "Recreate":
        return replicas_of(d)
    if d.spec.strategy.type != "RollingUpdate":
        raise ValueError(f"deployment type {d.spec.strategy.type} isn't supported")
    surge = scaled_value(int_or_percent(d.spec.strategy.rolling_update.max_surge), replicas_of(d), True)
    current, most = total_replicas(all_rss), replicas_of(d) + surge
    if current >= most:
        return replicas_of(new)
    return replicas_of(new) + min(most - current, replicas_of(d) - replicas_of(new))


def is_saturated(d: apps_pb2.Deployment, rs: RS | None) -> bool:
    """The set has all the Deployment's replicas, wants them, and has them available."""
    if rs is None:
        return False
    desired = desired_replicas_annotation(rs)
    n = replicas_of(d)
    return replicas_of(rs) == n and desired == n and rs.status.available_replicas == n


def _fraction(rs: RS, d: apps_pb2.Deployment) -> int:
    """getReplicaSetFraction: the set's share of a resize, from its max-replicas annotation."""
    if replicas_of(d) == 0:
        return -replicas_of(rs)
    most = replicas_of(d) + max_surge(d)
    before = max_replicas_annotation(rs)
    if not before:
        before = d.status.replicas  # never part of this Deployment's sizing: use its current size
        if before == 0:
            return 0
    size = replicas_of(rs) * most / before
    rounded = int(size + 0.5) if size >= 0 else -int(-size + 0.5)  # Go's math.Round: half away from zero
    return rounded - replicas_of(rs)


def proportion(rs: RS | None, d: apps_pb2.Deployment, to_add: int, added: int) -> int:
    """GetProportion: what to add to (or remove from) this set when the Deployment is resized mid-rollout."""
    if rs is None or replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction, allowed = _fraction(rs, d), to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)
