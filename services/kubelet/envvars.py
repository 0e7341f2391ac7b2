"""A container's environment, as the kubelet builds it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables).

Order: a default PATH and HOME, `HOSTNAME`, then `env` in order, each value expanded with the
variables defined before it (`$(VAR)`; `$$` is a literal `$`; unknown references stay as written).
`envFrom` (ConfigMaps and Secrets, with a prefix) comes before `env`, so `env` wins; `valueFrom` reads the
pod's fields (downward API), resource limits, and ConfigMap and Secret keys (missing ones fail with the
kubelet's CreateContainerConfigError wording unless `optional`). Service variables (serviceenv) come
last and never replace a variable of the pod's own. Pure: objects are read through `EnvLookups`.
"""
from __future__ import annotations

import math
import os
import re
from typing import Protocol

from kubelab import quantity
from kubelab.api.v1 import core_pb2
from kubelab.validation_names import is_env_var_name
from services.kubelet.serviceenv import service_env

__all__ = ["EnvError", "EnvLookups", "container_env", "expand", "object_data", "DEFAULT_PATH"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class EnvLookups(Protocol):
    def config_map(self, namespace: str, name: str) -> core_pb2.ConfigMap | None: ...
    def secret(self, namespace: str, name: str) -> core_pb2.Secret | None: ...
    def services(self) -> list[core_pb2.Service]: ...


class EnvError(Exception):
    """A variable that cannot be set (a missing key, a bad field path): CreateContainerConfigError."""


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2:end]
                    out.append(env[name] if name in env else text[i:end + 1])
                    i = end + 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)


_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def field_value(pod: core_pb2.Pod, path: str, pod_ip: str, host_ip: str) -> str:
    m = _SUBSCRIPT.match(path)
    if m:
        return dict(getattr(pod.metadata, m.group(1))).get(m.group(2), "")
    simple = {
        "metadata.name": pod.metadata.name, "metadata.namespace": pod.metadata.namespace,
        "metadata.uid": pod.metadata.uid, "spec.nodeName": pod.spec.node_name,
        "spec.serviceAccountName": pod.spec.service_account_name or "default",
        "status.podIP": pod_ip, "status.podIPs": pod_ip, "status.hostIP": host_ip, "status.hostIPs": host_ip,
    }
    if path in simple:
        return simple[path]
    if path in ("metadata.labels", "metadata.annotations"):
        values = dict(getattr(pod.metadata, path.split(".")[1]))
        return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    raise EnvError(f'unsupported fieldPath: "{path}"')


def resource_value(container: core_pb2.Container, ref: core_pb2.ResourceFieldSelector,
                   allocatable: dict[str, str]) -> str:
    kind, _, resource = ref.resource.partition(".")
    if kind not in ("limits", "requests") or not resource:
        raise EnvError(f'unsupported resource: "{ref.resource}"')
    values = dict(getattr(container.resources, kind))
    raw = values.get(resource) or (allocatable.get(resource) if kind == "limits" else None) or "0"
    divisor = quantity.parse_quantity(ref.divisor) if ref.divisor else quantity.parse_quantity(1)
    if divisor <= 0:
        raise EnvError(f'invalid divisor "{ref.divisor}"')
    return str(math.ceil(quantity.parse_quantity(raw) / divisor))


def _value_from(pod: core_pb2.Pod, container: core_pb2.Container, var: core_pb2.EnvVar, pod_ip: str,
                host_ip: str, allocatable: dict[str, str], objects: _Objects) -> str | None:
    src = var.value_from
    if src.HasField("field_ref"):
        return field_value(pod, src.field_ref.field_path, pod_ip, host_ip)
    if src.HasField("resource_field_ref"):
        return resource_value(container, src.resource_field_ref, allocatable)
    for field, kind in (("config_map_key_ref", "ConfigMap"), ("secret_key_ref", "Secret")):
        if src.HasField(field):
            ref = getattr(src, field)
            optional = ref.HasField("optional") and ref.optional
            data = objects.data(kind, ref.name, optional)
            if data is None:
                return None
            if ref.key not in data:
                if optional:
                    return None
                raise EnvError(f"couldn't find key {ref.key} in {kind} {pod.metadata.namespace}/{ref.name}")
            return data[ref.key]
    return ""


class _Objects:
    """The ConfigMaps and Secrets one container's environment reads, each looked up once (as the kubelet
    caches them per call)."""

    def __init__(self, lookups: EnvLookups | None, namespace: str):
        self.lookups, self.namespace = lookups, namespace
        self.seen: dict[tuple[str, str], dict[str, str] | None] = {}

    def data(self, kind: str, name: str, optional: bool) -> dict[str, str] | None:
        """The object's data as strings; None when it is missing and optional; EnvError when missing."""
        if (kind, name) not in self.seen:
            get = None if self.lookups is None else (self.lookups.config_map if kind == "ConfigMap"
                                                     else self.lookups.secret)
            obj = get(self.namespace, name) if get else None
            self.seen[kind, name] = None if obj is None else object_data(obj)
        data = self.seen[kind, name]
        if data is None and not optional:
            raise EnvError(f'{kind.lower()} "{name}" not found')  # the kubelet's object cache's NotFound
        return data


def object_data(obj: core_pb2.ConfigMap | core_pb2.Secret) -> dict[str, str]:
    """A ConfigMap's `data` (binaryData is not for variables) or a Secret's data, as text."""
    if isinstance(obj, core_pb2.Secret):
        return {k: v.decode("utf-8", "replace") for k, v in obj.data.items()}
    return dict(obj.data)


def _env_from(pod: core_pb2.Pod, container: core_pb2.Container, objects: _Objects,
              warnings: list[str]) -> dict[str, str]:
    """envFrom, in order (later sources win); keys that are no variable names are skipped with a warning."""
    env: dict[str, str] = {}
    for src in container.env_from:
        kind = "ConfigMap" if src.HasField("config_map_ref") else "Secret"
        ref = src.config_map_ref if kind == "ConfigMap" else src.secret_ref
        data = objects.data(kind, ref.name, False)  # the API's envFrom refs carry no `optional` (yet)
        invalid = []
        for key, value in (data or {}).items():
            name = src.prefix + key
            if is_env_var_name(name):
                invalid.append(name)
            else:
                env[name] = value
        if invalid:
            warnings.append(f"Keys [{', '.join(sorted(invalid))}] from the EnvFrom {kind[0].lower() + kind[1:]} "
                            f"{pod.metadata.namespace}/{ref.name} were skipped since they are considered invalid "
                            "environment variable names.")
    return env


def container_env(pod: core_pb2.Pod, container: core_pb2.Container, *, pod_ip: str, host_ip: str,
                  hostname: str, allocatable: dict[str, str] | None = None, extra_path: str = "",
                  lookups: EnvLookups | None = None, warnings: list[str] | None = None) -> dict[str, str]:
    """The environment the container's process starts with; `warnings` collects the messages of the
    InvalidEnvironmentVariableNames events the kubelet reports."""
    path = DEFAULT_PATH + (os.pathsep + extra_path if extra_path else "")
    objects = _Objects(lookups, pod.metadata.namespace)
    links = pod.spec.enable_service_links if pod.spec.HasField("enable_service_links") else True
    services = service_env(lookups.services() if lookups else [], pod.metadata.namespace, links)
    env: dict[str, str] = {"PATH": path, "HOSTNAME": hostname}
    env.update(_env_from(pod, container, objects, warnings if warnings is not None else []))
    for var in container.env:
        if var.HasField("value_from") and not var.value:
            value = _value_from(pod, container, var, pod_ip, host_ip, allocatable or {}, objects)
            if value is None:
                continue
        else:
            value = expand(var.value, {**services, **env})
        env[var.name] = value
    env.setdefault("HOME", "/root")
    return {**services, **env}  # the pod's own variables win over the Services'
