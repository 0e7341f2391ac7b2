"""Small value renderings the printers use: ages, timestamps, labels, selectors, quantities, booleans
(apimachinery `util/duration` HumanDuration, `labels.FormatLabels`, `metav1.FormatLabelSelector`,
printers.go's translateTimestampSince). Storage classes and access modes are `kubelab.storage.volume`'s,
controller references `kubelab.meta`'s."""

from __future__ import annotations

import time

from google.protobuf.message import Message


__all__ = ["human_duration", "timestamp_seconds", "since", "format_labels", "format_label_selector", "quantity",
           "bool_str"]


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: 2-3 significant figures (`5s`, `3m2s`, `4h`, `2d3h`)."""
    s = int(seconds)  # Go truncates toward zero
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def timestamp_seconds(parent: Message, field: str) -> float | None:
    """The time in a Timestamp field as epoch seconds, None when the field is unset."""
    if not parent.HasField(field):
        return None
    ts = getattr(parent, field)
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.seconds + ts.nanos / 1e9


def since(parent: Message, field: str, now: float | None = None) -> str:
    """translateTimestampSince: the age of a Timestamp field, `<unknown>` when unset."""
    t = timestamp_seconds(parent, field)
    if t is None:
        return "<unknown>"
    return human_duration((time.time() if now is None else now) - t)


def format_labels(labels) -> str:
    """labels.FormatLabels: `a=1,b=2` sorted by key, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def format_label_selector(selector: Message | None) -> str:
    """metav1.FormatLabelSelector: `app=web`, `<none>` for an empty one, `<error>` if invalid."""
    if selector is None or (not selector.match_labels and not selector.match_expressions):
        return "<none>"
    from kubelab import labels as labelsel  # only the wide tables need selectors: keeps `get pods` light

    try:
        text = str(labelsel.label_selector_as_selector(selector))
    except labelsel.SelectorError:
        return "<error>"
    return text or "<none>"


def quantity(value: str) -> str:
    """A quantity in canonical form, as resource.Quantity.String() prints it (1024Mi -> 1Gi)."""
    if not value:
        return "0"
    from kubelab.quantity import QuantityError, canonicalize_quantity

    try:
        return canonicalize_quantity(value)
    except QuantityError:
        return value


def bool_str(value: bool) -> str:
    """Go's %v of a bool."""
    return "true" if value else "false"
