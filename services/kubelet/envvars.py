"""A container's environment, as the kubelet builds it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables).

Order: a default PATH and HOME, `HOSTNAME`, then `env` in order, each value expanded with the
variables defined before it (`$(VAR)`; `$$` is a literal `$`; unknown references stay as written).
`valueFrom` reads the pod's fields (downward API) and resource limits; configMap and secret keys fail
with Kubernetes' CreateContainerConfigError wording, since this API has neither kind. Pure.
"""
from __future__ import annotations

import math
import os
import re

from kubelab import quantity
from kubelab.api.v1 import core_pb2

__all__ = ["EnvError", "container_env", "expand", "DEFAULT_PATH"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
                host_ip: str, allocatable: dict[str, str]) -> str | None:
    src = var.value_from
    if src.HasField("field_ref"):
        return field_value(pod, src.field_ref.field_path, pod_ip, host_ip)
    if src.HasField("resource_field_ref"):
        return resource_value(container, src.resource_field_ref, allocatable)
    for field, kind in (("config_map_key_ref", "configmap"), ("secret_key_ref", "secret")):
        if src.HasField(field):
            ref = getattr(src, field)
            if ref.HasField("optional") and ref.optional:
                return None
            raise EnvError(f'{kind} "{ref.name}" not found')
    return ""


def container_env(pod: core_pb2.Pod, container: core_pb2.Container, *, pod_ip: str, host_ip: str,
                  hostname: str, allocatable: dict[str, str] | None = None,
                  extra_path: str = "") -> dict[str, str]:
    """The environment the container's process starts with."""
    path = DEFAULT_PATH + (os.pathsep + extra_path if extra_path else "")
    env: dict[str, str] = {"PATH": path, "HOSTNAME": hostname}
    for src in container.env_from:
        ref = src.config_map_ref if src.HasField("config_map_ref") else src.secret_ref
        kind = "configmap" if src.HasField("config_map_ref") else "secret"
        raise EnvError(f'{kind} "{ref.name}" not found')
    for var in container.env:
        if var.HasField("value_from"):
            value = _value_from(pod, container, var, pod_ip, host_ip, allocatable or {})
            if value is None:
                continue
        else:
            value = expand(var.value, env)
        env[var.name] = value
    env.setdefault("HOME", "/root")
    return env
