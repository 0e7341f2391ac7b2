"""Objects for the printer tests, written as manifests (status included), at a fixed clock."""

from __future__ import annotations

import datetime as dt

import yaml

from kubelab.manifest import from_dict

NOW = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc).timestamp()


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp `seconds` before NOW."""
    t = dt.datetime.fromtimestamp(NOW - seconds, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def obj(text: str, **fmt):
    """A message from a YAML manifest; `{name}` placeholders are filled from fmt."""
    return from_dict(yaml.safe_load(text.format(**fmt) if fmt else text))


def pod(status: dict | None = None, spec: dict | None = None, meta: dict | None = None):
    data = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": ago(30), **(meta or {})},
            "spec": {"containers": [{"name": "app", "image": "busybox"}], **(spec or {})},
            "status": status or {"phase": "Pending"}}
    return from_dict(data)
