"""Node selector terms (a pod's required node affinity, a PV's node affinity) and topology terms (a
StorageClass's allowedTopologies), compiled once and matched against a node's labels and name
(component-helpers `scheduling/corev1/nodeaffinity`).

Terms are ORed; the requirements of one term are ANDed; a term with no requirements matches
nothing; `matchFields` knows only `metadata.name`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CompiledSelector", "compile_node_selector", "compile_topology_terms", "match_topology_terms"]


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    op: str
    values: frozenset[str]

    def matches(self, value: str | None) -> bool:
        op = self.op
        if op == "In":
            return value is not None and value in self.values
        if op == "NotIn":
            return value is None or value not in self.values
        if op == "Exists":
            return value is not None
        if op == "DoesNotExist":
            return value is None
        if op in ("Gt", "Lt") and value is not None and len(self.values) == 1:
            have, want = _int(value), _int(next(iter(self.values)))
            if have is None or want is None:
                return False
            return have > want if op == "Gt" else have < want
        return False


@dataclass(frozen=True, slots=True)
class _Term:
    expressions: tuple[_Requirement, ...]
    fields: tuple[_Requirement, ...]

    def matches(self, labels: Mapping[str, str], name: str) -> bool:
        if not self.expressions and not self.fields:
            return False
        for r in self.expressions:
            if not r.matches(labels.get(r.key)):
                return False
        for r in self.fields:
            if r.key != "metadata.name" or not r.matches(name):
                return False
        return True


@dataclass(frozen=True, slots=True)
class CompiledSelector:
    terms: tuple[_Term, ...]

    def matches(self, labels: Mapping[str, str], name: str) -> bool:
        return any(t.matches(labels, name) for t in self.terms)


def _requirements(reqs: Iterable) -> tuple[_Requirement, ...]:
    return tuple(_Requirement(r.key, r.operator, frozenset(r.values)) for r in reqs)


def compile_node_selector(selector) -> CompiledSelector:
    """A `NodeSelector` message compiled for repeated matching."""
    return CompiledSelector(tuple(_Term(_requirements(t.match_expressions), _requirements(t.match_fields))
                                  for t in selector.node_selector_terms))


TopologyTerms = tuple[tuple[tuple[str, frozenset[str]], ...], ...]


def compile_topology_terms(terms) -> TopologyTerms:
    """A StorageClass's allowedTopologies as ((key, allowed values), ...) per term."""
    return tuple(tuple((e.key, frozenset(e.values)) for e in t.match_label_expressions) for t in terms)


def match_topology_terms(terms: TopologyTerms, labels: Mapping[str, str]) -> bool:
    """allowedTopologies: no terms allow every node; else some term whose every key has an allowed value."""
    if not terms:
        return True
    for term in terms:
        if all(labels.get(key) in values for key, values in term):
            return True
    return False
