"""Containers: names, images, ports, env, volume mounts, probes, lifecycle (k/k core validation)."""
from __future__ import annotations

import posixpath

from kubelab.fielderrors import Path, duplicate, forbidden, invalid, not_found, not_supported, required
from kubelab.validation_names import is_dns1123_label

from .common import (
    Errors, go_struct, int_or_string, is_http_header_name, is_valid_port_name, is_valid_port_num, nonnegative,
)
from .env import validate_env
from .resources import validate_resource_requirements

__all__ = ["validate_containers", "validate_init_containers", "validate_local_descending_path",
           "validate_path_no_backsteps"]


def validate_path_no_backsteps(target: str, path: Path) -> Errors:
    return [invalid(path, target, "must not contain '..'")] if ".." in target.split("/") else []


def validate_local_descending_path(target: str, path: Path) -> Errors:
    errs = [invalid(path, target, "must be a relative path")] if posixpath.isabs(target) else []
    return errs + validate_path_no_backsteps(target, path)


def _ports(ports, path: Path) -> Errors:
    errs: Errors = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = path.index(i)
        if port.name:
            msgs = is_valid_port_name(port.name)
            if msgs:
                errs += [invalid(p.child("name"), port.name, m) for m in msgs]
            elif port.name in names:
                errs.append(duplicate(p.child("name"), port.name))
            else:
                names.add(port.name)
        if port.container_port == 0:
            errs.append(required(p.child("containerPort")))
        else:
            errs += [invalid(p.child("containerPort"), port.container_port, m)
                     for m in is_valid_port_num(port.container_port)]
        if port.host_port:
            errs += [invalid(p.child("hostPort"), port.host_port, m) for m in is_valid_port_num(port.host_port)]
        if not port.protocol:
            errs.append(required(p.child("protocol")))
        elif port.protocol not in ("TCP", "UDP", "SCTP"):
            errs.append(not_supported(p.child("protocol"), port.protocol, ["SCTP", "TCP", "UDP"]))
    return errs


def _volume_mounts(c, volumes: dict, path: Path) -> Errors:
    errs: Errors = []
    devices = {d.name: d.device_path for d in c.volume_devices}
    mount_points: set[str] = set()
    for i, m in enumerate(c.volume_mounts):
        p = path.index(i)
        if not m.name:
            errs.append(required(p.child("name")))
        if m.name not in volumes:
            errs.append(not_found(p.child("name"), m.name))
        if not m.mount_path:
            errs.append(required(p.child("mountPath")))
        if m.mount_path in mount_points:
            errs.append(invalid(p.child("mountPath"), m.mount_path, "must be unique"))
        mount_points.add(m.mount_path)
        if m.name in devices:
            errs.append(invalid(p.child("name"), m.name, "must not already exist in volumeDevices"))
        if m.mount_path in devices.values():
            errs.append(invalid(p.child("mountPath"), m.mount_path, "must not already exist as a path in volumeDevices"))
        if m.sub_path:  # Kubernetes reports these at the list's path, without the index
            errs += validate_local_descending_path(m.sub_path, path.child("subPath"))
        if m.sub_path_expr:
            if m.sub_path:
                errs.append(invalid(p.child("subPathExpr"), m.sub_path_expr, "subPathExpr and subPath are mutually exclusive"))
            errs += validate_local_descending_path(m.sub_path_expr, path.child("subPathExpr"))
        if m.mount_propagation:
            mp = path.child("mountPropagation")
            if m.mount_propagation not in ("Bidirectional", "HostToContainer", "None"):
                errs.append(not_supported(mp, m.mount_propagation, ["Bidirectional", "HostToContainer", "None"]))
            privileged = c.security_context.HasField("privileged") and c.security_context.privileged
            if m.mount_propagation == "Bidirectional" and not privileged:
                errs.append(forbidden(mp, "Bidirectional mount propagation is available only to privileged containers"))
    return errs


def _volume_devices(c, volumes: dict, path: Path) -> Errors:
    errs: Errors = []
    mounts = {m.name: m.mount_path for m in c.volume_mounts}
    names, paths = set(), set()
    for i, d in enumerate(c.volume_devices):
        p = path.index(i)
        if not d.name:
            errs.append(required(p.child("name")))
        if d.name in names:
            errs.append(invalid(p.child("name"), d.name, "must be unique"))
        if d.name in volumes and not volumes[d.name].HasField("persistent_volume_claim"):
            errs.append(invalid(p.child("name"), d.name, "can only use volume source type of "
                                "PersistentVolumeClaim or Ephemeral for block mode"))
        if d.name not in volumes:
            errs.append(not_found(p.child("name"), d.name))
        if not d.device_path:
            errs.append(required(p.child("devicePath")))
        if d.device_path in paths:
            errs.append(invalid(p.child("devicePath"), d.device_path, "must be unique"))
        if d.device_path and ".." in d.device_path.split("/"):
            errs.append(invalid(p.child("devicePath"), d.device_path, "can not contain backsteps ('..')"))
        else:
            paths.add(d.device_path)
        if d.name in mounts:
            errs.append(invalid(p.child("name"), d.name, "must not already exist in volumeMounts"))
        if d.device_path in mounts.values():
            errs.append(invalid(p.child("devicePath"), d.device_path, "must not already exist as a path in volumeMounts"))
        if d.name:
            names.add(d.name)
    return errs


def _port_num_or_name(value, path: Path) -> Errors:
    port = int_or_string(value)
    if isinstance(port, int):
        return [invalid(path, port, m) for m in is_valid_port_num(port)]
    return [invalid(path, port, m) for m in is_valid_port_name(port)]


def _handler(h, path: Path, kinds: tuple[str, ...]) -> Errors:
    """Exactly one of exec, httpGet, tcpSocket (and grpc, for probes)."""
    errs: Errors = []
    count = 0
    for kind in kinds:
        if not h.HasField(kind):
            continue
        json_name = {"http_get": "httpGet", "tcp_socket": "tcpSocket"}.get(kind, kind)
        if count:
            errs.append(forbidden(path.child(json_name), "may not specify more than 1 handler type"))
            continue
        count += 1
        sub, p = getattr(h, kind), path.child(json_name)
        if kind == "exec" and not sub.command:
            errs.append(required(p.child("command")))
        elif kind == "http_get":
            if not sub.path:
                errs.append(required(p.child("path")))
            errs += _port_num_or_name(sub.port, p.child("port"))
            if sub.scheme not in ("HTTP", "HTTPS"):
                errs.append(not_supported(p.child("scheme"), sub.scheme, ["HTTP", "HTTPS"]))
            for header in sub.http_headers:
                errs += [invalid(p.child("httpHeaders"), header.name, m) for m in is_http_header_name(header.name)]
        elif kind == "tcp_socket":
            errs += _port_num_or_name(sub.port, p.child("port"))
        elif kind == "grpc":
            errs += [invalid(p.child("port"), sub.port, m) for m in is_valid_port_num(sub.port)]
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _probe(probe, path: Path, which: str) -> Errors:
    errs = _handler(probe, path, ("exec", "http_get", "tcp_socket", "grpc"))
    for field, name in (("initial_delay_seconds", "initialDelaySeconds"), ("timeout_seconds", "timeoutSeconds"),
                        ("period_seconds", "periodSeconds"), ("success_threshold", "successThreshold"),
                        ("failure_threshold", "failureThreshold")):
        errs += nonnegative(getattr(probe, field), path.child(name))
    if probe.HasField("termination_grace_period_seconds") and probe.termination_grace_period_seconds <= 0:
        errs.append(invalid(path.child("terminationGracePeriodSeconds"), probe.termination_grace_period_seconds,
                            "must be greater than 0"))
    if which in ("livenessProbe", "startupProbe") and probe.success_threshold != 1:
        errs.append(invalid(path.child("successThreshold"), probe.success_threshold, "must be 1"))
    if which == "readinessProbe" and probe.HasField("termination_grace_period_seconds"):
        errs.append(invalid(path.child("terminationGracePeriodSeconds"), probe.termination_grace_period_seconds,
                            "must not be set for readinessProbes"))
    return errs


def _probes_and_lifecycle(c, path: Path) -> Errors:
    errs: Errors = []
    if c.HasField("lifecycle"):
        for hook, name in (("post_start", "postStart"), ("pre_stop", "preStop")):
            if c.lifecycle.HasField(hook):
                errs += _handler(getattr(c.lifecycle, hook), path.child("lifecycle", name),
                                 ("exec", "http_get", "tcp_socket"))
    for field, name in (("liveness_probe", "livenessProbe"), ("readiness_probe", "readinessProbe"),
                        ("startup_probe", "startupProbe")):
        if c.HasField(field):
            errs += _probe(getattr(c, field), path.child(name), name)
    return errs


def _security_context(sc, path: Path) -> Errors:
    errs: Errors = []
    for field, name in (("run_as_user", "runAsUser"), ("run_as_group", "runAsGroup")):
        if sc.HasField(field) and not 0 <= getattr(sc, field) <= 2147483647:
            errs.append(invalid(path.child(name), getattr(sc, field), "must be between 0 and 2147483647, inclusive"))
    if sc.HasField("allow_privilege_escalation") and not sc.allow_privilege_escalation:
        if sc.HasField("privileged") and sc.privileged:
            errs.append(invalid(path, go_struct(sc), "cannot set `allowPrivilegeEscalation` to false and "
                                                   "`privileged` to true"))
    return errs


def _common(c, volumes: dict, path: Path) -> Errors:
    errs = [required(path.child("name"))] if not c.name else \
        [invalid(path.child("name"), c.name, m) for m in is_dns1123_label(c.name)]
    if not c.image:
        errs.append(required(path.child("image")))
    policy = c.termination_message_policy
    if not policy:
        errs.append(required(path.child("terminationMessagePolicy")))
    elif policy not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(path.child("terminationMessagePolicy"), policy, ["File", "FallbackToLogsOnError"]))
    errs += _ports(c.ports, path.child("ports"))
    errs += validate_env(c.env, c.env_from, path)
    errs += _volume_mounts(c, volumes, path.child("volumeMounts"))
    errs += _volume_devices(c, volumes, path.child("volumeDevices"))
    if not c.image_pull_policy:
        errs.append(required(path.child("imagePullPolicy")))
    elif c.image_pull_policy not in ("Always", "IfNotPresent", "Never"):
        errs.append(not_supported(path.child("imagePullPolicy"), c.image_pull_policy,
                                  ["Always", "IfNotPresent", "Never"]))
    errs += validate_resource_requirements(c.resources, path.child("resources"))
    if c.HasField("security_context"):
        errs += _security_context(c.security_context, path.child("securityContext"))
    return errs


def _host_port_conflicts(containers, path: Path) -> Errors:
    seen, errs = set(), []
    for ci, c in enumerate(containers):
        for pi, port in enumerate(c.ports):
            if not port.host_port:
                continue
            key = f"{port.protocol}/{port.host_ip}/{port.host_port}"
            if key in seen:
                errs.append(duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key))
            seen.add(key)
    return errs


def validate_containers(containers, volumes: dict, path: Path) -> Errors:
    """validateContainers: at least one, unique names, and each container's own rules."""
    if not containers:
        return [required(path)]
    errs: Errors = []
    names: set[str] = set()
    for i, c in enumerate(containers):
        p = path.index(i)
        errs += _common(c, volumes, p)
        if c.name in names:
            errs.append(duplicate(p.child("name"), c.name))
        names.add(c.name)
        errs += _probes_and_lifecycle(c, p)
        if c.HasField("restart_policy"):
            errs.append(forbidden(p.child("restartPolicy"), "may not be set for non-init containers"))
    return errs + _host_port_conflicts(containers, path)


def validate_init_containers(inits, regular, volumes: dict, path: Path) -> Errors:
    """validateInitContainers: names unique across both lists; probes only for sidecars."""
    errs: Errors = []
    names = {c.name for c in regular}
    for i, c in enumerate(inits):
        p = path.index(i)
        errs += _common(c, volumes, p)
        sidecar = c.HasField("restart_policy") and c.restart_policy == "Always"
        if c.HasField("restart_policy") and not sidecar:
            errs.append(not_supported(p.child("restartPolicy"), c.restart_policy, ["Always"]))
        if c.name in names:
            errs.append(duplicate(p.child("name"), c.name))
        elif c.name:
            names.add(c.name)
        errs += _host_port_conflicts([c], path)
        if sidecar:
            errs += _probes_and_lifecycle(c, p)
            continue
        for field, name in (("lifecycle", "lifecycle"), ("liveness_probe", "livenessProbe"),
                            ("readiness_probe", "readinessProbe"), ("startup_probe", "startupProbe")):
            if c.HasField(field):
                errs.append(forbidden(p.child(name), "may not be set for init containers without restartPolicy=Always"))
    return errs
