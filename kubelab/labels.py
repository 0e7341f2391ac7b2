"""Label and field selectors with apimachinery's grammar, canonical form and error messages.

`parse_selector("app=web,tier in (a,b),!canary")` parses what `kubectl get -l` passes;
`label_selector_as_selector` turns an object's `spec.selector` (as a dict) into the same `Selector`;
`parse_field_selector("spec.nodeName=n1")` parses `--field-selector`. Errors are `SelectorError`
(a `ValueError`) whose text is Kubernetes' (`labels/selector.go`, `fields/selector.go`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubelab import fielderrors
from kubelab.fielderrors import Path
from kubelab.validation_names import is_qualified_name, is_valid_label_value

__all__ = [
    "Operator", "Requirement", "Selector", "SelectorError", "new_requirement", "parse_selector",
    "selector_from_set", "label_selector_as_selector", "selector_matches", "everything", "nothing",
    "FieldRequirement", "FieldSelector", "parse_field_selector", "escape_field_value",
]


class SelectorError(ValueError):
    """A selector that cannot be parsed or built; the message is Kubernetes' own."""


class Operator(str, enum.Enum):
    """apimachinery's `selection.Operator` values."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


_BINARY_OPS = [Operator.IN, Operator.NOT_IN, Operator.EQUALS, Operator.DOUBLE_EQUALS,
               Operator.NOT_EQUALS, Operator.GREATER_THAN, Operator.LESS_THAN]
_VALID_OPS = [*_BINARY_OPS, Operator.EXISTS, Operator.DOES_NOT_EXIST]
_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int64(s: str) -> int | None:
    if not _INT64.fullmatch(s):
        return None
    v = int(s)
    return v if -(2**63) <= v < 2**63 else None


@dataclass(frozen=True)
class Requirement:
    """One condition on one label key. Build with `new_requirement`, which validates."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op, present = self.operator, self.key in labels
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if op is Operator.EXISTS:
            return present
        if op is Operator.DOES_NOT_EXIST:
            return not present
        if not present or len(self.values) != 1:  # gt, lt
            return False
        have, want = _parse_int64(labels[self.key]), _parse_int64(self.values[0])
        if have is None or want is None:
            return False
        return have > want if op is Operator.GREATER_THAN else have < want

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({vals})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{vals}"


def new_requirement(key: str, operator: Operator | str, values: Iterable[str] | None = (),
                    path: Path | None = None) -> Requirement:
    """Validate and build a Requirement (apimachinery's NewRequirement).

    `values=None` stands for Go's nil slice: it renders as `null` in an error, `()` as `[]`.
    """
    vals = None if values is None else list(values)
    n = len(vals or [])
    errs: list[fielderrors.FieldError] = []
    if qerrs := is_qualified_name(key):
        errs.append(fielderrors.invalid(_child(path, "key"), key, "; ".join(qerrs)))
    values_path = _child(path, "values")
    try:
        op = Operator(operator)
    except ValueError:
        op = None
    if op in (Operator.IN, Operator.NOT_IN) and n == 0:
        errs.append(fielderrors.invalid(values_path, vals, "for 'in', 'notin' operators, values set can't be empty"))
    elif op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS) and n != 1:
        errs.append(fielderrors.invalid(values_path, vals, "exact-match compatibility requires one single value"))
    elif op in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and n != 0:
        errs.append(fielderrors.invalid(values_path, vals, "values set must be empty for exists and does not exist"))
    elif op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        if n != 1:
            errs.append(fielderrors.invalid(values_path, vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(vals or []):
            if _parse_int64(v) is None:
                errs.append(fielderrors.invalid(values_path.index(i), v,
                                                "for 'Gt', 'Lt' operators, the value must be an integer"))
    elif op is None:
        errs.append(fielderrors.not_supported(_child(path, "operator"), str(operator), [o.value for o in _VALID_OPS]))
    for i, v in enumerate(vals or []):
        if verrs := is_valid_label_value(v):
            errs.append(fielderrors.invalid(values_path.index(i).key(key), v, "; ".join(verrs)))
    if errs:
        raise SelectorError(fielderrors.aggregate_message(errs))
    return Requirement(key, op, tuple(vals or ()))


def _child(path: Path | None, name: str) -> Path:
    return Path(name) if path is None else path.child(name)


class Selector:
    """An AND of requirements, kept sorted by key so that `str()` is canonical."""

    def __init__(self, requirements: Iterable[Requirement] = (), *, _nothing: bool = False):
        self.requirements: tuple[Requirement, ...] = tuple(sorted(requirements, key=lambda r: r.key))
        self._nothing = _nothing

    def matches(self, labels: Mapping[str, str]) -> bool:
        return not self._nothing and all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self._nothing and not self.requirements

    def add(self, *requirements: Requirement) -> Selector:
        return self if self._nothing else Selector((*self.requirements, *requirements))

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return "Selector(<nothing>)" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Selector) and self._nothing == other._nothing
                and self.requirements == other.requirements)

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


def everything() -> Selector:
    return Selector()


def nothing() -> Selector:
    return Selector(_nothing=True)


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """Equality on every pair, validated (ValidatedSelectorFromSet); empty or None selects all."""
    return Selector(new_requirement(k, Operator.EQUALS, [v]) for k, v in (labels or {}).items())


_LABEL_SELECTOR_OPS = {"In": Operator.IN, "NotIn": Operator.NOT_IN, "Exists": Operator.EXISTS,
                       "DoesNotExist": Operator.DOES_NOT_EXIST}


def label_selector_as_selector(selector: Any) -> Selector:
    """metav1.LabelSelectorAsSelector for a `{"matchLabels", "matchExpressions"}` dict.

    A `kubelab.v1.LabelSelector` message works too (pass None when the field is unset). None selects
    nothing; an empty selector selects everything.
    """
    if selector is None:
        return nothing()
    if hasattr(selector, "match_labels"):  # the protobuf message
        match_labels = dict(selector.match_labels)
        exprs = [{"key": e.key, "operator": e.operator, "values": list(e.values)} for e in selector.match_expressions]
    else:
        match_labels = selector.get("matchLabels") or {}
        exprs = selector.get("matchExpressions") or []
    reqs = [new_requirement(k, Operator.EQUALS, [v]) for k, v in match_labels.items()]
    for expr in exprs:
        op = _LABEL_SELECTOR_OPS.get(expr.get("operator", ""))
        if op is None:
            raise SelectorError(f"{fielderrors.go_quote(str(expr.get('operator', '')))} is not a valid label selector operator")
        reqs.append(new_requirement(expr.get("key", ""), op, list(expr.get("values") or []) or None))
    return Selector(reqs)


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector (dict or message; None matches nothing) selects `labels`.

    Raises SelectorError when the selector itself is invalid: validate it first.
    """
    return label_selector_as_selector(selector).matches(labels)


# --- the string form ---------------------------------------------------------------------------------

_SPECIAL = "=!(),><"
_WHITESPACE = " \t\r\n"
_TOKENS = {")": "CLOSE", ",": "COMMA", "!": "NOT", "==": "DEQ", "=": "EQ", ">": "GT", "in": "IN",
           "<": "LT", "!=": "NEQ", "notin": "NOTIN", "(": "OPEN"}


def _lex(s: str) -> list[tuple[str, str]]:
    """Tokens as apimachinery's Lexer scans them: (kind, literal), ending with ("END", "")."""
    items, pos, n = [], 0, len(s)
    while True:
        while pos < n and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append(("END", ""))
            return items
        if s[pos] in _SPECIAL:
            buf, last = "", None
            while pos < n and s[pos] in _SPECIAL:
                buf += s[pos]
                if buf in _TOKENS:
                    last = (_TOKENS[buf], buf)
                elif last is not None:
                    break
                pos += 1
            items.append(last or ("ERROR", f"error expected: keyword found '{buf}'"))
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            word = s[start:pos]
            items.append((_TOKENS[word], word) if word in _TOKENS else ("ID", word))


class _Parser:
    """apimachinery's recursive-descent selector parser; 'in'/'notin' are identifiers among values."""

    def __init__(self, s: str):
        self.items, self.pos = _lex(s), 0

    def peek(self, values: bool = True) -> tuple[str, str]:
        return self._as(self.items[self.pos], values)

    def take(self, values: bool = True) -> tuple[str, str]:
        self.pos += 1
        return self._as(self.items[self.pos - 1], values)

    @staticmethod
    def _as(item: tuple[str, str], values: bool) -> tuple[str, str]:
        return ("ID", item[1]) if values and item[0] in ("IN", "NOTIN") else item

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.peek()
            if tok == "END":
                return reqs
            if tok not in ("ID", "NOT"):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except SelectorError as e:
                raise SelectorError(f"unable to parse requirement: {e}") from None
            tok, lit = self.take()
            if tok == "END":
                return reqs
            if tok != "COMMA":
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok2, lit2 = self.peek()
            if tok2 not in ("ID", "NOT"):
                raise SelectorError(f"found '{lit2}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        op: Operator | None = None
        tok, key = self.take()
        if tok == "NOT":
            op = Operator.DOES_NOT_EXIST
            tok, key = self.take()
        if tok != "ID":
            raise SelectorError(f"found '{key}', expected: identifier")
        if errs := is_qualified_name(key):
            raise SelectorError(str(fielderrors.invalid(None, key, "; ".join(errs))))
        if op is Operator.DOES_NOT_EXIST or self.peek()[0] in ("END", "COMMA"):
            return new_requirement(key, op or Operator.EXISTS, [])
        tok, lit = self.take(values=False)
        ops = {"IN": Operator.IN, "EQ": Operator.EQUALS, "DEQ": Operator.DOUBLE_EQUALS, "GT": Operator.GREATER_THAN,
               "LT": Operator.LESS_THAN, "NOTIN": Operator.NOT_IN, "NEQ": Operator.NOT_EQUALS}
        if tok not in ops:
            raise SelectorError(f"found '{lit}', expected: {', '.join(o.value for o in _BINARY_OPS)}")
        op = ops[tok]
        values = self.value_set() if op in (Operator.IN, Operator.NOT_IN) else self.exact_value()
        return new_requirement(key, op, sorted(values))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != "OPEN":
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == "CLOSE":
            self.take()
            return {""}
        if tok not in ("ID", "COMMA"):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self.identifiers()
        if self.take()[0] != "CLOSE":
            raise SelectorError(f"found '{lit}', expected: ')'")
        return values

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == "ID":
                values.add(lit)
                tok2, lit2 = self.peek()
                if tok2 == "CLOSE":
                    return values
                if tok2 != "COMMA":
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == "COMMA":  # empty values: "(,a)", "(a,)", "(a,,b)"
                if not values:
                    values.add("")
                tok2 = self.peek()[0]
                if tok2 == "CLOSE":
                    values.add("")
                    return values
                if tok2 == "COMMA":
                    self.take()
                    values.add("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in ("END", "COMMA"):
            return {""}
        tok, lit = self.take()
        if tok == "ID":
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse_selector(s: str) -> Selector:
    """Parse a label selector string (`a=b,c in (x,y),!d`); "" selects everything."""
    return Selector(_Parser(s).parse())


# --- field selectors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldRequirement:
    """`field=value` (operator "=", also written "==") or `field!=value`; the value is unescaped."""

    field: str
    operator: str
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        equal = fields.get(self.field, "") == self.value  # a missing field reads as ""
        return equal if self.operator == "=" else not equal

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_field_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    """An AND of field requirements. Which field paths a kind supports is the caller's check."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _split_terms(s: str) -> list[str]:
    terms, start, in_slash = [], 0, False
    for i, c in enumerate(s):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(s[start:i])
            start = i + 1
    terms.append(s[start:])
    return terms


def _unescape_field_value(s: str) -> str:
    out, in_slash = [], False
    for c in s:
        if in_slash:
            if c not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":  # Go prints the rune as a number
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_field_selector(s: str) -> FieldSelector:
    """Parse `metadata.name=x,spec.nodeName!=y`; backslash escapes `\\`, `,` and `=` in values."""
    reqs = []
    for term in sorted(_split_terms(s)) if s else []:
        if not term:
            continue
        for i in range(len(term)):
            op = next((o for o in ("!=", "==", "=") if term.startswith(o, i)), None)
            if op:
                break
        else:
            raise SelectorError(f"invalid selector: '{s}'; can't understand '{term}'")
        value = _unescape_field_value(term[i + len(op):])
        reqs.append(FieldRequirement(term[:i], "!=" if op == "!=" else "=", value))
    return FieldSelector(tuple(reqs))
