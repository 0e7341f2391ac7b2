"""Which pods go first when a ReplicaSet scales down: Kubernetes' `ActivePodsWithRanks` order
(pkg/controller/controller_utils.go) and `getPodsToDelete` (pkg/controller/replicaset/replica_set.go).

Earlier in the order means deleted sooner:

1. unassigned < assigned (no spec.nodeName first);
2. Pending < Unknown < Running;
3. not ready < ready;
4. lower `controller.kubernetes.io/pod-deletion-cost` < higher;
5. doubled up < not doubled up: more active pods of the same owner on the pod's node first (the rank);
6. of two ready pods, the one ready for less time first, compared on a log2 scale of the time since
   (LogarithmicScaleDown, on by default), ties broken by uid;
7. higher restart counts first (regular containers, then sidecars);
8. newer first (creationTimestamp, log2 scale as in 6, ties by uid).

Pure: the clock is passed in.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence

from kubelab.api.v1 import core_pb2
from kubelab.podutil import is_pod_ready, pod_ready_since
from services.replicaset.podutil import deletion_cost, is_active, max_restarts, seconds

__all__ = ["PHASE_ORDER", "ranks_by_node", "sort_for_deletion", "pods_to_delete", "less"]

PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def ranks_by_node(pods: Sequence[core_pb2.Pod], related: Sequence[core_pb2.Pod]) -> list[int]:
    """For each pod, how many active related pods (pods of the same owner's sets) share its node."""
    on_node = Counter(p.spec.node_name for p in related if is_active(p))
    return [on_node[p.spec.node_name] for p in pods]


def _after_or_zero(t1: float, t2: float) -> bool:
    """Go's afterOrZero: a zero time sorts first, else the later time does."""
    if t1 == 0 or t2 == 0:
        return t1 == 0
    return t1 > t2


def _log_rank(t: float, now: float) -> int:
    elapsed_ns = (now - t) * 1e9
    return int(math.log2(elapsed_ns)) if elapsed_ns > 0 else -1


def _by_time(t1: float, t2: float, uid1: str, uid2: str, now: float) -> bool:
    """Newer first on a logarithmic scale; same bucket: by uid."""
    if now == 0 or t1 == 0 or t2 == 0:
        return _after_or_zero(t1, t2)
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def less(a: core_pb2.Pod, b: core_pb2.Pod, rank_a: int, rank_b: int, now: float) -> bool:
    """ActivePodsWithRanks.Less: whether `a` should be deleted before `b`."""
    na, nb = a.spec.node_name, b.spec.node_name
    if na != nb and (not na or not nb):
        return not na
    pa, pb = PHASE_ORDER.get(a.status.phase, 0), PHASE_ORDER.get(b.status.phase, 0)
    if pa != pb:
        return pa < pb
    ra, rb = is_pod_ready(a), is_pod_ready(b)
    if ra != rb:
        return not ra
    ca, cb = deletion_cost(a), deletion_cost(b)
    if ca != cb:
        return ca < cb
    if rank_a != rank_b:
        return rank_a > rank_b
    if ra and rb:
        ta, tb = pod_ready_since(a) or 0.0, pod_ready_since(b) or 0.0
        if ta != tb:
            return _by_time(ta, tb, a.metadata.uid, b.metadata.uid, now)
    restarts_a, restarts_b = max_restarts(a), max_restarts(b)
    if restarts_a != restarts_b:
        return restarts_a > restarts_b
    ta, tb = seconds(a.metadata.creation_timestamp), seconds(b.metadata.creation_timestamp)
    if ta != tb:
        return _by_time(ta, tb, a.metadata.uid, b.metadata.uid, now)
    return False


def sort_for_deletion(pods: Sequence[core_pb2.Pod], ranks: Sequence[int], now: float) -> list[core_pb2.Pod]:
    """The pods in deletion order (the first ones go first)."""
    ranked = list(zip(pods, ranks))

    def cmp(x, y) -> int:
        if less(x[0], y[0], x[1], y[1], now):
            return -1
        if less(y[0], x[0], y[1], x[1], now):
            return 1
        return 0
    return [p for p, _ in sorted(ranked, key=functools.cmp_to_key(cmp))]


def pods_to_delete(active: Sequence[core_pb2.Pod], related: Sequence[core_pb2.Pod], diff: int,
                   now: float) -> list[core_pb2.Pod]:
    """getPodsToDelete: the `diff` pods to delete, ranked by co-location with `related` pods."""
    if diff >= len(active):
        return list(active)[:diff]
    return sort_for_deletion(active, ranks_by_node(active, related), now)[:diff]
