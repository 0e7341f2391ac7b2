"""Quantities parse, round and print as apimachinery's resource.Quantity does."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.quantity import (
    Format, QuantityError, canonicalize_quantity, format_bytes, format_millis, format_quantity,
    parse_quantity, parse_quantity_with_format, to_bytes, to_millis,
)

FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("1", 1), ("100m", Fraction(1, 10)), ("0.1", Fraction(1, 10)), ("1.5", Fraction(3, 2)),
    ("1n", Fraction(1, 10**9)), ("5u", Fraction(5, 10**6)), ("2k", 2000), ("3M", 3 * 10**6), ("1G", 10**9),
    ("1T", 10**12), ("1P", 10**15), ("1E", 10**18),
    ("1Ki", 1024), ("500Mi", 500 * 2**20), ("1Gi", 2**30), ("1.5Gi", 3 * 2**29), ("2Ti", 2**41),
    ("1Pi", 2**50), ("1Ei", 2**60),
    ("1e3", 1000), ("1E3", 1000), ("2e-3", Fraction(2, 1000)), ("1.5e+2", 150),
    ("+1k", 1000), ("-1Gi", -(2**30)), (".5", Fraction(1, 2)), ("1.", 1),
    (250, 250),
])
def test_parse_values(text, value):
    assert parse_quantity(text) == value


def test_rounds_up_to_nano_units():
    assert parse_quantity("0.5n") == Fraction(1, 10**9)
    assert parse_quantity("-0.5n") == Fraction(-1, 10**9)
    assert parse_quantity("1.0000000001") == 1 + Fraction(1, 10**9)


def test_binary_si_is_capped_at_int64():
    assert parse_quantity("10Ei") == 2**63 - 1


@pytest.mark.parametrize("text, message", [
    ("", FORMAT_WRONG), ("abc", FORMAT_WRONG), ("5Gb", FORMAT_WRONG), ("1.5.5", FORMAT_WRONG),
    (" 1", FORMAT_WRONG), ("1 ", FORMAT_WRONG), ("5X", FORMAT_WRONG),
    ("5ii", "unable to parse quantity's suffix"), ("1e", "unable to parse quantity's suffix"),
    ("1K", "unable to parse quantity's suffix"), ("--1", "unable to parse quantity's suffix"),
])
def test_errors(text, message):
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text, canonical", [
    ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1.5Gi", "1536Mi"), ("500Mi", "500Mi"), ("1000Ki", "1000Ki"),
    ("0.5Ki", "512"), ("100m", "100m"), ("0.1", "100m"), ("1.5", "1500m"), ("1500", "1500"), ("1.5k", "1500"),
    ("1000", "1k"), ("1e3", "1e3"), ("2e-3", "2e-3"), ("0", "0"), ("0.5n", "1n"), ("-1Gi", "-1Gi"),
    ("2000m", "2"), ("1000E", "1e21"),
])
def test_canonical_strings(text, canonical):
    assert canonicalize_quantity(text) == canonical


def test_format_helpers():
    assert format_bytes(2**30) == "1Gi"
    assert format_bytes(1536 * 2**20) == "1536Mi"
    assert format_bytes(1000) == "1k"
    assert format_bytes(0) == "0"
    assert format_millis(100) == "100m"
    assert format_millis(2000) == "2"
    assert format_quantity(Fraction(1, 4), Format.BINARY_SI) == "250m"


def test_to_millis_and_to_bytes_round_up():
    assert to_millis("100m") == 100 and to_millis("0.5") == 500 and to_millis("2") == 2000
    assert to_millis("1n") == 1  # ceil
    assert to_bytes("1Ki") == 1024 and to_bytes("1500m") == 2 and to_bytes("1Gi") == 2**30
    assert to_bytes(Fraction(1, 3)) == 1


def test_format_reported():
    assert parse_quantity_with_format("1Mi")[1] is Format.BINARY_SI
    assert parse_quantity_with_format("0.5Mi")[1] is Format.BINARY_SI
    assert parse_quantity_with_format("0.5Ki")[1] is Format.BINARY_SI
    assert parse_quantity_with_format("1e3")[1] is Format.DECIMAL_EXPONENT
    assert parse_quantity_with_format("1k")[1] is Format.DECIMAL_SI


@given(st.integers(min_value=0, max_value=2**62), st.sampled_from(list(Format)))
def test_canonical_form_round_trips(n, fmt):
    text = format_quantity(n, fmt)
    assert parse_quantity(text) == n
    # a binary amount with no binary suffix (2000) reads back as decimal, and prints as 2k,
    # as Kubernetes' Quantity does; the text is canonical in the format it reads back as
    assert canonicalize_quantity(text) == format_quantity(n, parse_quantity_with_format(text)[1])


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_millis_round_trip(millis):
    assert to_millis(format_millis(millis)) == millis
