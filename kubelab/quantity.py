"""Kubernetes resource quantities (`500Mi`, `100m`, `1.5`, `2e3`): the one place they are parsed.

Quantities stay strings in the API; code that compares or adds them calls `parse_quantity` (an exact
`Fraction`), `to_millis` (CPU) or `to_bytes` (memory, storage), and shows them with
`canonicalize_quantity` / `format_quantity`, which print what Kubernetes' `Quantity.String()` prints
(`1.5Gi` -> `1536Mi`, `1024Mi` -> `1Gi`, `0.1` -> `100m`). Parsing follows apimachinery's
`ParseQuantity`, including its three error messages and its rounding up to the nearest nano unit.
"""

from __future__ import annotations

import functools

import enum
import math
from fractions import Fraction

__all__ = [
    "Format", "QuantityError", "parse_quantity", "parse_quantity_with_format", "to_millis", "to_bytes",
    "format_quantity", "format_bytes", "format_millis", "canonicalize_quantity",
]

FORMAT_WRONG = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
NUMERIC = "unable to parse numeric part of quantity"
SUFFIX = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """A string that is not a quantity; the message is apimachinery's."""


class Format(str, enum.Enum):
    """How a quantity is written, which decides how it is printed back."""

    DECIMAL_EXPONENT = "DecimalExponent"  # 12e6
    BINARY_SI = "BinarySI"  # 12Mi
    DECIMAL_SI = "DecimalSI"  # 12M


_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_DIGITS = set("0123456789")
_NANO = Fraction(1, 10**9)
_MAX_INT64 = 2**63 - 1
_MAX_EXPONENT = 1000


def _split(s: str) -> tuple[str, str]:
    """Split into number and suffix the way apimachinery's hand-written scanner does."""
    pos, end = 0, len(s)
    if pos < end and s[0] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end and s[pos] == ".":
        pos += 1
        while pos < end and s[pos] in _DIGITS:
            pos += 1
    number, suffix_start = s[:pos], pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:  # anything after the exponent digits
        raise QuantityError(FORMAT_WRONG)
    return number, s[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, Format]:
    """(base, exponent, format) of a suffix: `Mi` is 2**20, `M` 10**6, `e6` 10**6."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], Format.DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        try:
            exp = int(suffix[1:], 10)
        except ValueError:
            raise QuantityError(SUFFIX) from None
        if abs(exp) > _MAX_EXPONENT:  # kubelab's guard: 10**huge would stall the process
            raise QuantityError(NUMERIC)
        return 10, exp, Format.DECIMAL_EXPONENT
    raise QuantityError(SUFFIX)


@functools.lru_cache(maxsize=4096)  # the same few strings are parsed for every pod, many times
def parse_quantity_with_format(s: str | int) -> tuple[Fraction, Format]:
    """The exact value and the written format; raises QuantityError."""
    if isinstance(s, int) and not isinstance(s, bool):
        return Fraction(s), Format.DECIMAL_SI
    if not isinstance(s, str) or not s:
        raise QuantityError(FORMAT_WRONG)
    number, suffix = _split(s)
    base, exponent, fmt = _interpret(suffix)
    digits = number.lstrip("+-")
    whole, _, frac = digits.partition(".")
    mantissa = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    if number.startswith("-"):
        mantissa = -mantissa
    value = mantissa * Fraction(base) ** exponent
    # Round away from zero to whole nano units: asking for a little of a resource gets some.
    if 10**9 % value.denominator:
        nanos = value / _NANO
        value = Fraction(math.ceil(nanos) if nanos > 0 else math.floor(nanos)) * _NANO
    if fmt is Format.BINARY_SI:
        if abs(value) > _MAX_INT64:
            value = Fraction(_MAX_INT64 if value > 0 else -_MAX_INT64)
        if 0 < abs(value) < 1:
            fmt = Format.DECIMAL_SI
    return value, fmt


def parse_quantity(s: str | int) -> Fraction:
    """The exact value of a quantity string: `parse_quantity("1.5Gi") == 1610612736`."""
    return parse_quantity_with_format(s)[0]


def _value(q: str | int | Fraction) -> Fraction:
    return q if isinstance(q, Fraction) else parse_quantity(q)


def _ceil_to_int(value: Fraction) -> int:
    # Kubernetes' ScaledValue rounds up (toward +infinity).
    return math.ceil(value)


def to_millis(q: str | int | Fraction) -> int:
    """Milli-units, rounded up (`Quantity.MilliValue()`): CPU `"0.5"` -> 500."""
    return _ceil_to_int(_value(q) * 1000)


def to_bytes(q: str | int | Fraction) -> int:
    """Whole units, rounded up (`Quantity.Value()`): `"1Ki"` -> 1024, `"1500m"` -> 2."""
    return _ceil_to_int(_value(q))


def format_quantity(value: Fraction | int, fmt: Format | str = Format.DECIMAL_SI) -> str:
    """`Quantity.String()` of `value` in `fmt`: the shortest exact form with a standard suffix."""
    value, fmt = Fraction(value), Format(fmt)
    if value == 0:
        return "0"
    if fmt is Format.BINARY_SI and (abs(value) < 1024 or value.denominator != 1):
        fmt = Format.DECIMAL_SI  # small or fractional byte counts read better in decimal
    sign, value = ("-" if value < 0 else ""), abs(value)
    if fmt is Format.BINARY_SI:
        n, exp = int(value), 0
        while n % 1024 == 0 and exp < 60:
            n, exp = n // 1024, exp + 10
        suffix = {0: "", **{e: s for s, e in _BINARY.items()}}[exp]
        return f"{sign}{n}{suffix}"
    n, exp = _decimal_mantissa(value)
    while exp % 3:  # suffixes step by 10**3
        n, exp = n * 10, exp - 1
    if fmt is Format.DECIMAL_SI and exp <= 18:
        suffix = {e: s for s, e in _DECIMAL.items()}[exp]
    else:  # beyond Exa there is no SI suffix: fall back to an exponent
        suffix = f"e{exp}" if exp else ""
    return f"{sign}{n}{suffix}"


def _decimal_mantissa(value: Fraction) -> tuple[int, int]:
    """(n, exp) with value == n * 10**exp and n not divisible by 10; value is a nano multiple."""
    exp = 0
    while value.denominator != 1:
        value, exp = value * 10, exp - 1
    n = int(value)
    while n % 10 == 0:
        n, exp = n // 10, exp + 1
    return n, exp


def canonicalize_quantity(s: str | int) -> str:
    """How Kubernetes prints a quantity it parsed: `"1024Mi"` -> `"1Gi"`, `"0.5"` -> `"500m"`."""
    return format_quantity(*parse_quantity_with_format(s))


def format_bytes(n: int | Fraction) -> str:
    """A byte count as Kubernetes prints a binary quantity: 1073741824 -> `1Gi`."""
    return format_quantity(n, Format.BINARY_SI)


def format_millis(millis: int) -> str:
    """Milli-units (CPU) as Kubernetes prints them: 500 -> `500m`, 2000 -> `2`."""
    return format_quantity(Fraction(millis, 1000), Format.DECIMAL_SI)
