"""The pod-template-hash (k/k `controller.ComputeHash`, apimachinery `rand.SafeEncodeString`).

Kubernetes hashes the template with FNV-32a over a deep print of the Go struct, adds the Deployment's
collisionCount (4 little-endian bytes, padded to 8) when set, and renders the decimal digits of the sum
through an alphabet without vowels or confusable characters. Here the template's deterministic protobuf
encoding stands in for the Go print: the value is stable for a template, changes when it changes, and
reads like Kubernetes' (`web-7d4b9c5f86`).
"""
from __future__ import annotations

import struct

from kubelab.api.v1 import core_pb2

__all__ = ["POD_TEMPLATE_HASH_LABEL", "SAFE_ALPHABET", "fnv32a", "safe_encode_string", "compute_hash",
           "equal_ignore_hash"]

POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def fnv32a(data: bytes, h: int = _FNV_OFFSET) -> int:
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in s.encode())


def compute_hash(template: core_pb2.PodTemplateSpec, collision_count: int | None = None) -> str:
    h = fnv32a(template.SerializeToString(deterministic=True))
    if collision_count is not None:
        h = fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0", h)
    return safe_encode_string(str(h))


def _without_hash(template: core_pb2.PodTemplateSpec) -> core_pb2.PodTemplateSpec:
    out = core_pb2.PodTemplateSpec()
    out.CopyFrom(template)
    out.metadata.labels.pop(POD_TEMPLATE_HASH_LABEL, None)
    return out


def equal_ignore_hash(a: core_pb2.PodTemplateSpec, b: core_pb2.PodTemplateSpec) -> bool:
    """Whether two templates are the same once the pod-template-hash label is ignored."""
    return _without_hash(a) == _without_hash(b)
