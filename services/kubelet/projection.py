"""The files of configMap, secret, downwardAPI and projected volumes (pkg/volume/configmap, secret, downwardapi
and projected: MakePayload, CollectData, collectData).

Without `items` every key becomes a file named after it; with `items` only the listed keys, at their
paths. Modes: the item's `mode`, else the volume's `defaultMode` (0644 by default). A missing object is
an error (`configmap "x" not found`) unless the source is `optional`, when it projects nothing; a listed
key the object lacks is an error too, unless optional. Pure: objects come through `ProjectionLookups`.
"""
from __future__ import annotations

from typing import Protocol

from kubelab.api.v1 import core_pb2
from services.kubelet.atomicwriter import FileProjection
from services.kubelet.envvars import EnvError, field_value, resource_value

__all__ = ["ProjectionLookups", "ProjectionError", "volume_payload", "PROJECTED_KINDS", "DEFAULT_MODE"]

DEFAULT_MODE = 0o644
#: Volume sources whose files the kubelet writes (and rewrites when their objects change), with their plugin.
PROJECTED_KINDS = {"config_map": "kubernetes.io~configmap", "secret": "kubernetes.io~secret",
                   "downward_api": "kubernetes.io~downward-api", "projected": "kubernetes.io~projected"}

Payload = dict[str, FileProjection]


class ProjectionLookups(Protocol):
    def config_map(self, namespace: str, name: str) -> core_pb2.ConfigMap | None: ...
    def secret(self, namespace: str, name: str) -> core_pb2.Secret | None: ...


class ProjectionError(Exception):
    """Why the volume's files cannot be made (the text after `MountVolume.SetUp failed for volume "v" : `)."""


def _mode(holder, default: int) -> int:
    return holder.mode if holder.HasField("mode") else default


def _keyed(kind: str, name: str, values: dict[str, bytes] | None, items, default_mode: int,
           optional: bool) -> Payload:
    """MakePayload of a ConfigMap or Secret; `values` None: the object does not exist."""
    if values is None:
        if not optional:
            raise ProjectionError(f'{kind} "{name}" not found')
        values = {}
    if not items:
        return {k: FileProjection(v, default_mode) for k, v in values.items()}
    payload: Payload = {}
    for kp in items:
        if kp.key not in values:
            if optional:
                continue
            what = "config key" if kind == "configmap" else "secret key"
            raise ProjectionError(f"{kind} references non-existent {what}: {kp.key}")
        payload[kp.path] = FileProjection(values[kp.key], _mode(kp, default_mode))
    return payload


def _config_map_values(lookups: ProjectionLookups, ns: str, name: str) -> dict[str, bytes] | None:
    cm = lookups.config_map(ns, name)
    if cm is None:
        return None
    return {**{k: v.encode() for k, v in cm.data.items()}, **dict(cm.binary_data)}


def _secret_values(lookups: ProjectionLookups, ns: str, name: str) -> dict[str, bytes] | None:
    s = lookups.secret(ns, name)
    return None if s is None else dict(s.data)


def _downward_api(pod: core_pb2.Pod, files, default_mode: int, allocatable: dict[str, str]) -> Payload:
    """CollectData: each file's value from the pod's fields or a container's resources."""
    payload: Payload = {}
    containers = {c.name: c for c in list(pod.spec.init_containers) + list(pod.spec.containers)}
    for f in files:
        try:
            if f.HasField("field_ref"):
                value = field_value(pod, f.field_ref.field_path, pod.status.pod_ip, pod.status.host_ip)
            else:
                container = containers.get(f.resource_field_ref.container_name, core_pb2.Container())
                value = resource_value(container, f.resource_field_ref, allocatable)
        except EnvError as e:
            raise ProjectionError(str(e)) from None
        payload[f.path] = FileProjection(value.encode(), _mode(f, default_mode))
    return payload


def _projected(pod: core_pb2.Pod, src: core_pb2.ProjectedVolumeSource, lookups: ProjectionLookups,
               allocatable: dict[str, str]) -> Payload:
    ns, mode = pod.metadata.namespace, src.default_mode if src.HasField("default_mode") else DEFAULT_MODE
    payload: Payload = {}
    errors: list[str] = []
    for source in src.sources:
        try:
            if source.HasField("config_map"):
                ref = source.config_map
                payload.update(_keyed("configmap", ref.name, _config_map_values(lookups, ns, ref.name), ref.items,
                                      mode, ref.HasField("optional") and ref.optional))
            elif source.HasField("secret"):
                ref = source.secret
                payload.update(_keyed("secret", ref.name, _secret_values(lookups, ns, ref.name), ref.items, mode,
                                      ref.HasField("optional") and ref.optional))
            elif source.HasField("downward_api"):
                payload.update(_downward_api(pod, source.downward_api.items, mode, allocatable))
            elif source.HasField("service_account_token"):
                errors.append("kubelab has no service account tokens to project")
        except ProjectionError as e:
            errors.append(str(e))
    if errors:  # utilerrors.NewAggregate: one error alone, several in brackets
        raise ProjectionError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return payload


def volume_payload(pod: core_pb2.Pod, vol: core_pb2.Volume, lookups: ProjectionLookups,
                   allocatable: dict[str, str] | None = None) -> Payload:
    """The files of a configMap, secret, downwardAPI or projected volume; ProjectionError when not possible."""
    ns = pod.metadata.namespace
    if vol.HasField("config_map"):
        src = vol.config_map
        mode = src.default_mode if src.HasField("default_mode") else DEFAULT_MODE
        return _keyed("configmap", src.name, _config_map_values(lookups, ns, src.name), src.items, mode,
                      src.HasField("optional") and src.optional)
    if vol.HasField("secret"):
        src = vol.secret
        mode = src.default_mode if src.HasField("default_mode") else DEFAULT_MODE
        return _keyed("secret", src.secret_name, _secret_values(lookups, ns, src.secret_name), src.items, mode,
                      src.HasField("optional") and src.optional)
    if vol.HasField("downward_api"):
        src = vol.downward_api
        mode = src.default_mode if src.HasField("default_mode") else DEFAULT_MODE
        return _downward_api(pod, src.items, mode, allocatable or {})
    return _projected(pod, vol.projected, lookups, allocatable or {})
