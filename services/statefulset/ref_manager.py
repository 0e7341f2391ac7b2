"""Which pods a StatefulSet owns, adopts and releases (k/k `ClaimPods` with the `isMemberOf` filter),
on the shared `kubelab.controller_ref_manager.claim_objects`. Pure: the plumbing (`stateful_set.py`)
reads the set again before adopting and performs the writes.

A pod matches when the selector selects it and its name parses to the set's name and an ordinal.
"""
from __future__ import annotations

from collections.abc import Iterable

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.controller_ref_manager import Claimed, claim_objects
from kubelab.labels import Selector
from services.statefulset.utils import is_member_of

__all__ = ["classify_pods"]


def classify_pods(sts: apps_pb2.StatefulSet, pods: Iterable[core_pb2.Pod], selector: Selector) -> Claimed:
    return claim_objects(sts, pods, lambda p: selector.matches(p.metadata.labels) and is_member_of(sts, p))
