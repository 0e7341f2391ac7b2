"""The scheduling framework: extension points, the Status every plugin returns, and the runner.

One small interface per extension point, as kube-scheduler's `framework/interface.go` has them:

    PreFilter  pre_filter(state, pod) -> Status          once per pod; may Skip its own Filter
    Filter     filter(state, pod, node) -> Status        once per node, pure and cheap
    PostFilter post_filter(state, pod, statuses) -> Status   only when no node fits (the message tail)
    Score      score(state, pod, node) -> int (0..100);  optional pre_score(state, pod, nodes) -> Status
               (Skip: nothing to score) and normalize(state, pod, scores)
    Reserve    reserve(state, pod, node_name) -> Status / unreserve(state, pod, node_name)
    PreBind    async pre_bind(state, pod, node_name) -> Status
    Bind       async bind(state, pod, node_name) -> Status (Skip: let the next binder do it)

A plugin is any object with a `name` and some of these methods; `events_to_register()` names the
cluster events that may make a pod it rejected schedulable again (see `queue.py`).

Statuses have a closed set of codes. Unschedulable means another pod leaving could help (preemption
may try); UnschedulableAndUnresolvable means nothing on that node can change it; Error is a failure
of the scheduler itself (retried with backoff); Skip is what a PreFilter or Bind plugin returns to
say "not my business". Filter plugins run in order and the first rejection wins, as upstream.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubelab.api.v1 import core_pb2

__all__ = ["Code", "Status", "SUCCESS", "SKIP", "CycleState", "Framework", "MAX_NODE_SCORE", "ClusterEvent",
           "ActionType", "default_normalize_score"]

MAX_NODE_SCORE = 100


class Code(enum.IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5


@dataclass(frozen=True, slots=True)
class Status:
    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @classmethod
    def unschedulable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE, reasons)

    @classmethod
    def unresolvable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)

    @classmethod
    def error(cls, message: str) -> Status:
        return cls(Code.ERROR, (message,))

    @property
    def success(self) -> bool:
        return self.code == Code.SUCCESS

    @property
    def rejected(self) -> bool:
        """Unschedulable or UnschedulableAndUnresolvable (upstream IsRejected)."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> Status:
        return self if self.plugin == plugin else Status(self.code, self.reasons, plugin)


SUCCESS = Status()
SKIP = Status(Code.SKIP)


class ActionType(enum.IntFlag):
    """What happened to an object; node updates are split by what changed (upstream ActionType)."""
    ADD = 1
    DELETE = 2
    UPDATE_NODE_ALLOCATABLE = 4
    UPDATE_NODE_LABEL = 8
    UPDATE_NODE_TAINT = 16
    UPDATE_NODE_CONDITION = 32
    UPDATE_OTHER = 64
    UPDATE = UPDATE_NODE_ALLOCATABLE | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT | UPDATE_NODE_CONDITION | UPDATE_OTHER
    ALL = ADD | DELETE | UPDATE


@dataclass(frozen=True)
class ClusterEvent:
    """`resource` is a kind (Node, Pod for an assigned pod, PersistentVolume, ...); `action` a mask."""
    resource: str
    action: ActionType

    def matches(self, incoming: ClusterEvent) -> bool:
        return self.resource == incoming.resource and bool(self.action & incoming.action)


@dataclass
class CycleState:
    """Per-pod, per-attempt scratch space: what PreFilter computed, for Filter, Reserve and PreBind."""
    data: dict[str, Any] = field(default_factory=dict)
    skip_filter: set[str] = field(default_factory=set)

    def read(self, key: str) -> Any:
        return self.data.get(key)

    def write(self, key: str, value: Any) -> None:
        self.data[key] = value


def default_normalize_score(scores: dict[str, int], reverse: bool = False) -> None:
    """Scale to 0..MAX_NODE_SCORE by the highest score (helper.DefaultNormalizeScore)."""
    top = max(scores.values(), default=0)
    if top == 0:
        if reverse:
            for name in scores:
                scores[name] = MAX_NODE_SCORE
        return
    for name, s in scores.items():
        s = MAX_NODE_SCORE * s // top
        scores[name] = MAX_NODE_SCORE - s if reverse else s


class Framework:
    """The plugins of one profile, sorted by extension point, and the code that runs each point."""

    def __init__(self, plugins: Iterable[Any], score_weights: dict[str, int] | None = None):
        self.plugins = list(plugins)
        self.pre_filter_plugins = [p for p in self.plugins if hasattr(p, "pre_filter")]
        self.filter_plugins = [p for p in self.plugins if hasattr(p, "filter")]
        self.post_filter_plugins = [p for p in self.plugins if hasattr(p, "post_filter")]
        self.score_plugins = [p for p in self.plugins if hasattr(p, "score")]
        self.reserve_plugins = [p for p in self.plugins if hasattr(p, "reserve")]
        self.pre_bind_plugins = [p for p in self.plugins if hasattr(p, "pre_bind")]
        self.bind_plugins = [p for p in self.plugins if hasattr(p, "bind")]
        weights = score_weights or {}
        self.weights = {p.name: weights.get(p.name, getattr(p, "weight", 1)) for p in self.score_plugins}

    def events_to_register(self) -> dict[str, list[ClusterEvent]]:
        return {p.name: list(p.events_to_register()) for p in self.plugins if hasattr(p, "events_to_register")}

    # --- scheduling cycle (synchronous: the cache cannot change underneath) -------------------------

    def run_pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        for p in self.pre_filter_plugins:
            st = p.pre_filter(state, pod)
            if st.code == Code.SKIP:
                state.skip_filter.add(p.name)
            elif not st.success:
                if st.code == Code.ERROR:
                    return Status.error(f'running PreFilter plugin "{p.name}": {st.message}').with_plugin(p.name)
                return st.with_plugin(p.name)
        return SUCCESS

    def filters_for(self, state: CycleState) -> list[Any]:
        return [p for p in self.filter_plugins if p.name not in state.skip_filter]

    @staticmethod
    def run_filters(filters: list[Any], state: CycleState, pod: core_pb2.Pod, node: Any) -> Status:
        for p in filters:
            st = p.filter(state, pod, node)
            if st.code != Code.SUCCESS:
                return st.with_plugin(p.name)
        return SUCCESS

    def run_post_filter(self, state: CycleState, pod: core_pb2.Pod, diagnosis: Any) -> Status:
        for p in self.post_filter_plugins:
            st = p.post_filter(state, pod, diagnosis)
            if st.success or st.code == Code.ERROR:
                return st.with_plugin(p.name)
            if st.reasons:
                return st.with_plugin(p.name)
        return Status(Code.UNSCHEDULABLE)

    def run_score(self, state: CycleState, pod: core_pb2.Pod, nodes: list[Any]) -> dict[str, int]:
        totals = {n.name: 0 for n in nodes}
        for p in self.score_plugins:
            pre_score = getattr(p, "pre_score", None)
            if pre_score is not None and pre_score(state, pod, nodes).code == Code.SKIP:
                continue
            scores = {n.name: p.score(state, pod, n) for n in nodes}
            normalize = getattr(p, "normalize", None)
            if normalize is not None:
                normalize(state, pod, scores)
            w = self.weights[p.name]
            for name, s in scores.items():
                totals[name] += s * w
        return totals

    def run_reserve(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        for p in self.reserve_plugins:
            st = p.reserve(state, pod, node_name)
            if not st.success:
                return st.with_plugin(p.name)
        return SUCCESS

    def run_unreserve(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> None:
        for p in reversed(self.reserve_plugins):
            p.unreserve(state, pod, node_name)

    # --- binding cycle (may wait on the API) --------------------------------------------------------

    async def run_pre_bind(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        for p in self.pre_bind_plugins:
            st = await p.pre_bind(state, pod, node_name)
            if st.code == Code.SKIP:
                continue
            if not st.success:
                return Status.error(f'running PreBind plugin "{p.name}": {st.message}').with_plugin(p.name)
        return SUCCESS

    async def run_bind(self, state: CycleState, pod: core_pb2.Pod, node_name: str) -> Status:
        for p in self.bind_plugins:
            st = await p.bind(state, pod, node_name)
            if st.code == Code.SKIP:
                continue
            if not st.success:
                return Status.error(f'running Bind plugin "{p.name}": {st.message}').with_plugin(p.name)
            return st
        return Status.error("no bind plugin bound the pod")
