"""The API types: generated messages (``kubelab.api.v1``) and the kind registry."""
from kubelab.api.registry import KINDS, KindInfo, UnknownKind, by_kind, kind_of, lookup, unwrap, wrap
from kubelab.api.v1 import apiserver_pb2, apiserver_pb2_grpc, apps_pb2, coordination_pb2, core_pb2, discovery_pb2, meta_pb2, storage_pb2

__all__ = [
    "KINDS", "KindInfo", "UnknownKind", "by_kind", "kind_of", "lookup", "unwrap", "wrap",
    "apiserver_pb2", "apiserver_pb2_grpc", "apps_pb2", "coordination_pb2", "core_pb2", "discovery_pb2", "meta_pb2",
    "storage_pb2",
]
