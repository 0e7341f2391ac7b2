"""Which objects a List or Watch wants: namespace, label selector, field selector."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kubelab import labels
from kubelab.api.registry import KindInfo
from services.apiserver import errors
from services.apiserver.cached import Cached, supported_fields


@dataclass(frozen=True)
class Filter:
    namespace: str
    label_match: Callable[[dict], bool] | None
    fields: labels.FieldSelector | None

    @classmethod
    def parse(cls, info: KindInfo, namespace: str, label_selector: str, field_selector: str) -> "Filter":
        label_match = None
        if label_selector.strip():
            try:
                label_match = labels.parse_selector(label_selector).matches
            except ValueError as e:
                raise errors.bad_request(f"unable to parse requirement: {e}") from None
        fields = None
        if field_selector.strip():
            try:
                fields = labels.parse_field_selector(field_selector)
            except ValueError as e:
                raise errors.bad_request(f"invalid field selector: {e}") from None
            known = supported_fields(info.kind)
            for r in fields.requirements:
                if r.field not in known:
                    raise errors.bad_request(f"field label not supported: {r.field}")
        return cls(namespace if info.namespaced else "", label_match, fields)

    def matches(self, obj: Cached) -> bool:
        if self.namespace and obj.namespace != self.namespace:
            return False
        if self.label_match is not None and not self.label_match(obj.labels):
            return False
        return self.fields is None or self.fields.matches(obj.fields)
