"""The `kubelab record` file: a watch history as JSON lines, in the order the recorder received it.

    {"type": "HEADER", "version": 1, "server": "127.0.0.1:41236", "time": 1764936000.1, "kinds": [...]}
    {"type": "SNAPSHOT", "kind": "Pod", "rv": 812, "time": ..., "reason": "initial|relist|final",
     "objects": [{...}, ...]}                       every object of the kind at resourceVersion rv
    {"type": "ADDED|MODIFIED|DELETED", "kind": "Pod", "rv": 813, "time": ..., "object": {...}}
    {"type": "ACK", "kind": "ConfigMap", "namespace": "default", "name": "record-probe-3", "rv": 820,
     "time": ...}                                   a write of the recorder's own that the server acknowledged
    {"type": "END", "time": ...}

Objects are Kubernetes JSON. Each kind's lines are in resourceVersion order (one watch each); lines of
different kinds are in the order they arrived, which is the order of the writes to within a watch's
delivery delay. The resourceVersion is not a total order across the file: a Redis that lost its data
starts counting again, and that is one of the things `check` looks for.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = ["VERSION", "RECORDED_KINDS", "WATCH_TYPES", "Record", "HistoryError", "read_history", "write_record", "describe",
           "display_key"]

VERSION = 1
RECORDED_KINDS = ("Node", "PersistentVolume", "PersistentVolumeClaim", "VolumeAttachment", "Deployment",
                  "ReplicaSet", "StatefulSet", "Pod", "Lease", "Event")
WATCH_TYPES = ("ADDED", "MODIFIED", "DELETED")


@dataclass(frozen=True, eq=False)
class Record:
    index: int
    """Its line number in the file (1-based), so that a violation can point at it."""
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.data.get("type", "")

    @property
    def kind(self) -> str:
        return self.data.get("kind", "")


def write_record(out: TextIO, data: dict[str, Any]) -> None:
    out.write(json.dumps(data, separators=(",", ":")) + "\n")
    out.flush()


class HistoryError(ValueError):
    """The file is not a kubelab record; the message names the line."""


def read_history(path: Path | str) -> list[Record]:
    records = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise HistoryError(f"{path}:{i}: not JSON ({e.msg})") from None
            if not isinstance(data, dict) or "type" not in data:
                raise HistoryError(f"{path}:{i}: a record needs a \"type\"")
            records.append(Record(i, data))
    if records and records[0].type == "HEADER" and records[0].data.get("version") != VERSION:
        raise HistoryError(f"{path}:1: unsupported version {records[0].data.get('version')!r} (expected {VERSION})")
    return records


def _key(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{meta['namespace']}/{meta.get('name', '?')}" if meta.get("namespace") else meta.get("name", "?")


def display_key(key: str) -> str:
    """`default/web-0`, or `node-1` for a cluster-scoped object (whose key is `/node-1`)."""
    return key.lstrip("/")


def _details(obj: dict) -> str:
    """The fields the invariants look at, as key=value."""
    meta, spec, status = obj.get("metadata", {}), obj.get("spec", {}), obj.get("status", {})
    parts = [f"uid={meta.get('uid', '')[:8]}"] if meta.get("uid") else []
    pick = {"nodeName": spec.get("nodeName"), "phase": status.get("phase"), "volumeName": spec.get("volumeName"),
            "replicas": spec.get("replicas") if obj.get("kind") in ("Deployment", "ReplicaSet", "StatefulSet")
            else None, "holder": spec.get("holderIdentity"), "renewTime": spec.get("renewTime"),
            "attached": status.get("attached") if obj.get("kind") == "VolumeAttachment" else None,
            "pv": spec.get("source", {}).get("persistentVolumeName")}
    if meta.get("deletionTimestamp"):
        pick["deletionTimestamp"] = meta["deletionTimestamp"]
    parts += [f"{k}={v}" for k, v in pick.items() if v not in (None, "")]
    return " ".join(parts)


def describe(rec: Record) -> str:
    """One line for a record: `line 42  12:00:01.234  MODIFIED Pod default/web-0 rv=812 uid=... phase=Running`."""
    d = rec.data
    when = dt.datetime.fromtimestamp(float(d.get("time", 0))).strftime("%H:%M:%S.%f")[:-3]
    head = f"line {rec.index:<5} {when}  {rec.type}"
    if rec.type in WATCH_TYPES:
        obj = d.get("object", {})
        return f"{head} {rec.kind} {_key(obj)} rv={d.get('rv')} {_details(obj)}".rstrip()
    if rec.type == "SNAPSHOT":
        return f"{head} {rec.kind} rv={d.get('rv')} ({d.get('reason', '')}, {len(d.get('objects', []))} objects)"
    if rec.type == "ACK":
        return f"{head} {d.get('op', 'create')} {rec.kind} {d.get('namespace', '')}/{d.get('name')} rv={d.get('rv')}"
    return head
