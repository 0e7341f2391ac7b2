"""A bounded memory of answers computed from a spec's bytes, for the write path's per-spec work.

The API server sees the same pod spec again and again (every replica a controller stamps from its
template, an update that leaves the spec alone), and some of what it does to a spec is a function of the
spec alone: its validation (validation/podspec.py) and a Pod's defaults (defaults.py). Each keeps its
answers here: the last `size` keys, least recently used dropped first; keys built from specs larger than
`max_bytes` are not kept (`fits`), so the memory stays bounded.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

V = TypeVar("V")

SIZE = 1024
MAX_BYTES = 16 << 10


class SpecMemo(Generic[V]):
    def __init__(self, size: int = SIZE, max_bytes: int = MAX_BYTES):
        self.size, self.max_bytes = size, max_bytes
        self._answers: OrderedDict[Hashable, V] = OrderedDict()

    def fits(self, data: bytes) -> bool:
        """Whether an answer about a spec of these bytes may be kept."""
        return len(data) <= self.max_bytes

    def get(self, key: Hashable) -> V | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: V) -> V:
        self._answers[key] = answer
        if len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)

    def __iter__(self):
        return iter(self._answers)
