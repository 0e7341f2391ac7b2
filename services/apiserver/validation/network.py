"""Endpoints, EndpointSlice, ConfigMap and Secret: metadata checks only, for now.

The full upstream rules (pkg/apis/discovery/validation, ValidateEndpoints, ValidateConfigMap,
ValidateSecret) belong here; until they land these kinds are checked as any object's metadata is.
"""
from __future__ import annotations

from google.protobuf.message import Message

from kubelab.fielderrors import FieldError

from .meta import name_rule, validate_object_meta

__all__ = ["validate_metadata_only"]


def validate_metadata_only(obj: Message) -> list[FieldError]:
    return validate_object_meta(obj.metadata, True, name_rule(type(obj).__name__))
