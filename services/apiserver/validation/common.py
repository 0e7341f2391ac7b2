"""Small checks shared by every kind, worded as apimachinery and k/k words them.

Go's validation reads typed structs; here the objects are protobuf messages, so this module also
holds the few helpers that read a message the way Go reads a field: IntOrString values, quantities,
a submessage's Kubernetes JSON (for rendering a bad value), and "has this field been set".
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import re
from typing import Any, Iterable

from google.protobuf.message import Message

from kubelab import manifest
from kubelab.fielderrors import FieldError, Path, invalid, not_supported, required
from kubelab.quantity import canonicalize_quantity, parse_quantity
from kubelab.validation_names import is_config_map_key, is_env_var_name, is_qualified_name, regex_error

__all__ = [
    "Errors", "IS_NEGATIVE", "FIELD_IMMUTABLE", "QUANTITY_PATTERN",
    "nonnegative", "int_or_string", "as_json", "go_struct", "quantity", "quantity_errors", "canonical",
    "inclusive_range_error", "is_valid_port_num", "is_valid_port_name", "is_valid_percent",
    "is_env_var_name", "is_http_header_name", "is_config_map_key", "is_valid_ip", "is_valid_cidr", "validate_endpoint_ip",
    "validate_qualified_name", "validate_port_protocol", "PROTOCOLS", "each", "json_diff",
]

Errors = list[FieldError]

IS_NEGATIVE = "must be greater than or equal to 0"
FIELD_IMMUTABLE = "field is immutable"
QUANTITY_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def nonnegative(value: int, path: Path) -> Errors:
    """ValidateNonnegativeField."""
    return [invalid(path, value, IS_NEGATIVE)] if value < 0 else []


def as_json(msg: Message) -> dict[str, Any]:
    """A message as Kubernetes JSON, for showing it as a bad value."""
    return manifest.to_dict(msg)


def go_struct(msg: Message | None) -> Any:
    """A message as Go's encoding/json writes an internal (untagged) k/k struct: Go field names, every
    field in order, nil for unset pointers, slices and maps. Kubernetes shows internal structs this way."""
    if msg is None:
        return None
    values = []
    for f in msg.DESCRIPTOR.fields:
        value = getattr(msg, f.name)
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            value = dict(value) or None
        elif f.is_repeated:
            value = [go_struct(v) if f.message_type else v for v in value] or None
        elif f.message_type is not None and f.message_type.full_name == "google.protobuf.Value":
            value = int_or_string(value) if msg.HasField(f.name) else None
        elif f.message_type is not None and f.message_type.full_name == "google.protobuf.Timestamp":
            value = value.ToJsonString() if msg.HasField(f.name) else None
        elif f.message_type is not None:
            value = go_struct(value) if msg.HasField(f.name) else None
        elif f.has_presence and not msg.HasField(f.name):
            value = None
        values.append(value)
    return _struct_type(msg.DESCRIPTOR)(*values)


@functools.cache
def _struct_type(descriptor) -> type:
    names = [f.json_name[0].upper() + f.json_name[1:] for f in descriptor.fields]
    return dataclasses.make_dataclass(descriptor.name, names, frozen=True)


def int_or_string(value: Message) -> int | str:
    """An IntOrString carried in a google.protobuf.Value; unset reads as 0, as Go's zero value."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        return int(value.number_value)
    return 0


def quantity(text: str):
    """The parsed quantity, or None when the text is not one."""
    try:
        return parse_quantity(text)
    except (ValueError, TypeError, ArithmeticError):
        return None


def canonical(text: str) -> str:
    """How Kubernetes prints a quantity back (`Quantity.String()`): "0.5" -> "500m"."""
    return canonicalize_quantity(text) if quantity(text) is not None else text


def quantity_errors(text: str, path: Path) -> Errors:
    """A quantity that does not parse, with apimachinery's reason (Kubernetes rejects it while decoding)."""
    try:
        parse_quantity(text)
    except (ValueError, TypeError, ArithmeticError) as e:
        return [invalid(path, text, str(e) or f"quantities must match the regular expression '{QUANTITY_PATTERN}'")]
    return []


# --- string formats of apimachinery's pkg/util/validation that names don't cover ---------------

_PORT_NAME_CHARSET = re.compile(r"[-a-z0-9]+")
_PERCENT = re.compile(r"[0-9]+%")
_HTTP_HEADER_FMT = "[-A-Za-z0-9]+"


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    errs = []
    if len(port) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.fullmatch(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_percent(percent: str) -> list[str]:
    if _PERCENT.fullmatch(percent):
        return []
    return [regex_error("a valid percent string must be a numeric string followed by an ending '%'",
                        "[0-9]+%", "1%", "93%")]


def is_http_header_name(value: str) -> list[str]:
    if re.fullmatch(_HTTP_HEADER_FMT, value):
        return []
    return [regex_error("a valid HTTP header must consist of alphanumeric characters or '-'",
                        _HTTP_HEADER_FMT, "X-Header-Name")]


def is_valid_ip(path: Path, value: str) -> Errors:
    """IsValidIP: a valid address in canonical form, no leading zeros, not IPv4-mapped IPv6."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return [invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return [invalid(path, value, "must not be an IPv4-mapped IPv6 address")]
    if value != str(ip):
        return [invalid(path, value, f'must be in canonical form ("{ip}")')]
    return []


def is_valid_cidr(path: Path, value: str) -> Errors:
    """IsValidCIDR: a valid network in canonical form."""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")]
    if value != str(net):
        return [invalid(path, value, f'must be in canonical form ("{net}")')]
    return []


def validate_endpoint_ip(value: str, path: Path) -> Errors:
    """ValidateEndpointIP (formerly ValidateNonSpecialIP), for Endpoints, EndpointSlices and external IPs:
    unspecified, loopback and link-local addresses make no sense as somewhere to send traffic."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return [invalid(path, value, "must be a valid IP address")]
    errs = []
    if ip.is_unspecified:
        errs.append(invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errs.append(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local and not ip.is_multicast:
        errs.append(invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip in _LINK_LOCAL_MULTICAST[ip.version]:
        errs.append(invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errs


# Go's net.IP.IsLinkLocalMulticast: 224.0.0.0/24, and ff02::/16 (the message says /10, as upstream's does)
_LINK_LOCAL_MULTICAST = {4: ipaddress.ip_network("224.0.0.0/24"), 6: ipaddress.ip_network("ff02::/16")}


PROTOCOLS = ["SCTP", "TCP", "UDP"]


def validate_port_protocol(protocol: str | None, app_protocol: str | None, path: Path) -> Errors:
    """A port's `protocol` (required, TCP/UDP/SCTP) and `appProtocol` (a qualified name), as Service,
    Endpoints and EndpointSlice ports check them; None means unset."""
    errs: Errors = []
    if protocol is None:
        errs.append(required(path.child("protocol")))
    elif protocol not in PROTOCOLS:
        errs.append(not_supported(path.child("protocol"), protocol, PROTOCOLS))
    if app_protocol is not None:
        errs += validate_qualified_name(app_protocol, path.child("appProtocol"))
    return errs


def validate_qualified_name(value: str, path: Path) -> Errors:
    """ValidateQualifiedName (appProtocol and the like)."""
    return [invalid(path, value, msg) for msg in is_qualified_name(value)]


def each(values: Iterable[str], check, path: Path) -> Errors:
    """invalid(path, v, msg) for every message `check(v)` returns, for every value."""
    return [invalid(path, v, msg) for v in values for msg in check(v)]


def json_diff(old: Any, new: Any, prefix: str = "") -> str:
    """Changed leaves, one `- path: old` / `+ path: new` pair each (Kubernetes shows a Go cmp.Diff here)."""
    lines: list[str] = []
    _diff(old, new, prefix, lines)
    return "\n".join(lines)


def _diff(old: Any, new: Any, path: str, lines: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in dict.fromkeys([*old, *new]):
            _diff(old.get(k), new.get(k), f"{path}.{k}" if path else k, lines)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff(a, b, f"{path}[{i}]", lines)
    elif old != new:
        if old is not None:
            lines.append(f"- {path}: {json.dumps(old, sort_keys=True)}")
        if new is not None:
            lines.append(f"+ {path}: {json.dumps(new, sort_keys=True)}")
