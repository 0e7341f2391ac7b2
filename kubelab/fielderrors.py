"""Field-level validation errors worded exactly like apimachinery's `field.Error`.

Validation code builds a list of `FieldError`s (Kubernetes' `field.ErrorList`); the API server turns the
list into one message with `invalid_object_message` (what Kubernetes puts in `Status.message`) and into
`google.rpc.BadRequest` field violations from each error's `field`, `type` and `error_body()`. The CLI
renders what it received with `kubectl_invalid_message`, as kubectl does.

Bad values render as in apimachinery v1.34+ (`field/errors.go: ErrorBody`): strings as Go `%q`, ints,
floats and bools as `%v`, everything else (maps, lists, None) as compact Go-style JSON.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "ErrorType", "FieldError", "Path", "OMIT_VALUE",
    "required", "invalid", "not_supported", "forbidden", "duplicate", "not_found", "too_long",
    "too_many", "internal_error", "aggregate_message", "invalid_object_message",
    "kubectl_invalid_message", "go_quote", "render_value",
]


class Path:
    """An immutable path from the object root to a field: `Path("spec").child("x").index(0).key("k")`.

    Renders as apimachinery's `field.Path.String()`: names joined by dots, subscripts in brackets.
    """

    __slots__ = ("_segments",)

    def __init__(self, name: str, *more: str):
        # Each segment is (name, subscript); a subscript segment has an empty name, as in Go.
        self._segments: tuple[tuple[str, str], ...] = ((name, ""),) + tuple((n, "") for n in more) if more \
            else ((name, ""),)

    # Validation builds a path for every field it visits, error or not (tens per object on the API
    # server's write path), so these stay as cheap as a tuple concatenation.
    def child(self, name: str, *more: str) -> Path:
        path = object.__new__(Path)
        if more:
            path._segments = self._segments + ((name, ""),) + tuple((n, "") for n in more)
        else:
            path._segments = self._segments + ((name, ""),)
        return path

    def index(self, i: int) -> Path:
        path = object.__new__(Path)
        path._segments = self._segments + (("", str(i)),)
        return path

    def key(self, k: str) -> Path:
        path = object.__new__(Path)
        path._segments = self._segments + (("", k),)
        return path

    def __str__(self) -> str:
        out = []
        for i, (name, subscript) in enumerate(self._segments):
            out.append(("." if i else "") + name if name else f"[{subscript}]")
        return "".join(out)

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and self._segments == other._segments

    def __hash__(self) -> int:
        return hash(self._segments)


class ErrorType(str, enum.Enum):
    """Machine-readable error types (the values are Kubernetes' `CauseType`s)."""

    NOT_FOUND = "FieldValueNotFound"
    REQUIRED = "FieldValueRequired"
    DUPLICATE = "FieldValueDuplicate"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    INTERNAL = "InternalError"

    @property
    def message(self) -> str:
        return _TYPE_MESSAGES[self]


_TYPE_MESSAGES = {
    ErrorType.NOT_FOUND: "Not found", ErrorType.REQUIRED: "Required value",
    ErrorType.DUPLICATE: "Duplicate value", ErrorType.INVALID: "Invalid value",
    ErrorType.NOT_SUPPORTED: "Unsupported value", ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.TOO_LONG: "Too long", ErrorType.TOO_MANY: "Too many", ErrorType.INTERNAL: "Internal error",
}
# These types never show their value (apimachinery's ErrorBody switch).
_VALUELESS = {ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG, ErrorType.INTERNAL}

OMIT_VALUE: Any = type("_OmitValue", (), {"__repr__": lambda self: "OMIT_VALUE"})()
"""A bad value that is never rendered (apimachinery's `omitValue`)."""


@dataclass(frozen=True)
class FieldError:
    """One validation failure: which field, what kind of failure, the offending value, and why."""

    type: ErrorType
    field: str
    bad_value: Any = ""
    detail: str = ""

    def error_body(self) -> str:
        """The message without the field name (a StatusCause message, a BadRequest description)."""
        s = self.type.message
        if self.type not in _VALUELESS and self.bad_value is not OMIT_VALUE:
            s += ": " + render_value(self.bad_value)
        if self.detail:
            s += ": " + self.detail
        return s

    def __str__(self) -> str:
        return f"{self.field}: {self.error_body()}"


def _field(path: Path | str | None) -> str:
    return "<nil>" if path is None else str(path)  # Go prints a nil *Path as "<nil>"


def required(path: Path | str | None, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, _field(path), "", detail)


def invalid(path: Path | str | None, value: Any, detail: str = "") -> FieldError:
    return FieldError(ErrorType.INVALID, _field(path), value, detail)


def not_supported(path: Path | str | None, value: Any, supported: Iterable[str]) -> FieldError:
    quoted = [go_quote(str(v)) for v in supported]
    detail = "supported values: " + ", ".join(quoted) if quoted else ""
    return FieldError(ErrorType.NOT_SUPPORTED, _field(path), value, detail)


def forbidden(path: Path | str | None, detail: str = "") -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, _field(path), "", detail)


def duplicate(path: Path | str | None, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, _field(path), value)


def not_found(path: Path | str | None, value: Any) -> FieldError:
    return FieldError(ErrorType.NOT_FOUND, _field(path), value)


def too_long(path: Path | str | None, value: Any = None, max_length: int = -1) -> FieldError:
    """The value is never shown; the detail counts bytes, as apimachinery v1.34 words it."""
    if max_length >= 0:
        detail = f"may not be more than {max_length} {'byte' if max_length == 1 else 'bytes'}"
    else:
        detail = "value is too long"
    return FieldError(ErrorType.TOO_LONG, _field(path), "<value omitted>", detail)


def too_many(path: Path | str | None, actual: int, max_items: int) -> FieldError:
    if max_items >= 0:
        detail = f"must have at most {max_items} {'item' if max_items == 1 else 'items'}"
    else:
        detail = "has too many items"
    return FieldError(ErrorType.TOO_MANY, _field(path), actual if actual >= 0 else OMIT_VALUE, detail)


def internal_error(path: Path | str | None, err: BaseException | str) -> FieldError:
    return FieldError(ErrorType.INTERNAL, _field(path), None, str(err))


def aggregate_message(errors: Iterable[object]) -> str:
    """apimachinery's `ErrorList.ToAggregate().Error()`: duplicates dropped, `[a, b]` when several."""
    msgs = list(dict.fromkeys(str(e) for e in errors))
    if len(msgs) == 1:
        return msgs[0]
    return "[" + ", ".join(msgs) + "]" if msgs else ""


def invalid_object_message(kind: str, name: str, errors: Iterable[FieldError], group: str = "") -> str:
    """`Status.message` of Kubernetes' `NewInvalid`: `Deployment.apps "web" is invalid: [a, b]`.

    One error renders without brackets; core-group kinds have no `.group` suffix (`Pod "x"`).
    """
    qualified = f"{kind}.{group}" if group else kind
    agg = aggregate_message(errors)
    head = f"{qualified} {go_quote(name)} is invalid"
    return f"{head}: {agg}" if agg else head


def kubectl_invalid_message(
    kind: str, name: str, causes: Iterable[FieldError | tuple[str, str]]
) -> str:
    """What kubectl prints for an Invalid status (its `checkErr`), minus the final newline.

    `causes` are the status causes as they came over the wire: `FieldError`s or `(field, message)`
    pairs. One cause: `The Deployment "web" is invalid: spec.x: Required value`; several: the
    prefix, then one `* field: message` line each. `kind` is the bare kind, as in `Status.details`.
    """
    msgs: list[str] = []
    for c in causes:
        field, message = (c.field, c.error_body()) if isinstance(c, FieldError) else c
        msgs.append(f"{field}: {message}")
    msgs = list(dict.fromkeys(msgs))
    head = f"The {kind} {go_quote(name)} is invalid"
    if not msgs:
        return head
    if len(msgs) == 1:
        return f"{head}: {msgs[0]}"
    return f"{head}: \n" + "\n".join(f"* {m}" for m in msgs)


# --- value rendering, Go style ---------------------------------------------------------------------

_SHORT_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t",
                  "\v": r"\v", "\\": r"\\", '"': r"\""}


def go_quote(s: str) -> str:
    """Go's `strconv.Quote` (`%q`): double quotes, C-like escapes, printable Unicode kept."""
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _go_float(f: float, json_style: bool = False) -> str:
    """Go's shortest float text: `%v` switches to an exponent at 1e6, encoding/json at 1e21."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    sign, digits, exp = Decimal(repr(f)).normalize().as_tuple()
    ds, nd = "".join(map(str, digits)), len(digits)
    dp = nd + int(exp)  # position of the decimal point within ds
    x = dp - 1  # exponent in d.ddd form
    if (x < -6 or x >= 21) if json_style else (x < -4 or x >= 6):
        mant = ds[0] + ("." + ds[1:] if nd > 1 else "")
        width = 1 if json_style and x < 0 else 2  # json cleans e-07 to e-7
        body = f"{mant}e{'-' if x < 0 else '+'}{abs(x):0{width}d}"
    elif dp <= 0:
        body = "0." + "0" * -dp + ds
    elif dp >= nd:
        body = ds + "0" * (dp - nd)
    else:
        body = ds[:dp] + "." + ds[dp:]
    return ("-" if sign else "") + body


def _go_json(v: Any) -> str:
    """Compact JSON as Go's encoding/json writes it: map keys sorted, struct fields in order."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v, json_style=True)
    if isinstance(v, str):
        s = json.dumps(v, ensure_ascii=False)
        for ch, esc in _HTML_ESCAPES:
            s = s.replace(ch, esc)
        return s
    if isinstance(v, Mapping):
        return _json_object(sorted((str(k), val) for k, val in v.items()))
    if isinstance(v, (list, tuple, set, frozenset)):
        seq = sorted(v) if isinstance(v, (set, frozenset)) else v
        return "[" + ",".join(_go_json(x) for x in seq) + "]"
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _json_object([(f.name, getattr(v, f.name)) for f in dataclasses.fields(v)])
    if hasattr(v, "ListFields"):
        return _message_json(v)
    return _go_json(str(v))


_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _json_object(pairs: Iterable[tuple[str, Any]]) -> str:
    return "{" + ",".join(f"{_go_json(k)}:{_go_json(val)}" for k, val in pairs) + "}"


_WELL_KNOWN = {f"google.protobuf.{n}" for n in (
    "Timestamp", "Duration", "Struct", "Value", "ListValue", "Any", "FieldMask", "BoolValue", "BytesValue",
    "DoubleValue", "FloatValue", "Int32Value", "Int64Value", "StringValue", "UInt32Value", "UInt64Value")}


def _message_json(msg: Any) -> str:
    """A protobuf message as Go marshals the matching Kubernetes struct: camelCase, fields in order."""
    if msg.DESCRIPTOR.full_name in _WELL_KNOWN:
        from google.protobuf import json_format  # well-known types (Timestamp...) have a JSON form
        return _go_json(json_format.MessageToDict(msg))
    pairs = []
    for fd, val in msg.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            val = dict(val)
        elif fd.is_repeated:
            val = list(val)
        elif fd.enum_type is not None:
            val = fd.enum_type.values_by_number[val].name
        elif fd.type == fd.TYPE_BYTES:
            val = base64.b64encode(val).decode()
        pairs.append((fd.json_name, val))
    return _json_object(pairs)


def render_value(value: Any) -> str:
    """How apimachinery's ErrorBody shows a bad value."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return _go_json(value)
