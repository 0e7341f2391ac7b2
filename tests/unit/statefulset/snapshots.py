"""Snapshots for the decision's table tests: a defaulted StatefulSet (the docs' web.yaml shape), its
stored revisions, pods in any state, and claims, all built without I/O."""
from __future__ import annotations

import copy
import itertools
from typing import Any

import yaml

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.manifest import from_dict
from services.apiserver.defaults import apply_defaults
from services.statefulset import history as hist
from services.statefulset.control import Snapshot, plan_sync
from services.statefulset.utils import new_versioned_pod

NOW = 1_800_000_000.0
_uids = itertools.count(1)

WEB = yaml.safe_load("""
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels:
      app: nginx
  serviceName: nginx
  replicas: 3
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
""")


def uid() -> str:
    return f"uid-{next(_uids)}"


def new_set(replicas: int = 3, *, spec: dict[str, Any] | None = None, image: str | None = None,
            generation: int = 1) -> apps_pb2.StatefulSet:
    data = copy.deepcopy(WEB)
    data["spec"]["replicas"] = replicas
    data["spec"].update(spec or {})
    if image:
        data["spec"]["template"]["spec"]["containers"][0]["image"] = image
    sts = from_dict(data)
    apply_defaults(sts)
    sts.metadata.uid, sts.metadata.generation = "set-uid", generation
    return sts


def stored(rev: apps_pb2.ControllerRevision) -> apps_pb2.ControllerRevision:
    rev.metadata.uid = uid()
    return rev


def revision_of(sts: apps_pb2.StatefulSet, number: int = 1) -> apps_pb2.ControllerRevision:
    return stored(hist.new_revision(sts, number, 0))


def pod(sts, ordinal: int, phase: str = "Running", ready: bool | None = None, *, rev=None, update_rev=None,
        ready_since: float = NOW - 3600, terminating: bool = False) -> core_pb2.Pod:
    """The pod the controller would have created for `ordinal`, in the given state."""
    rev = rev or revision_of(sts)
    p = new_versioned_pod(hist.apply_revision(sts, rev), hist.apply_revision(sts, update_rev or rev),
                          rev.metadata.name, (update_rev or rev).metadata.name, ordinal)
    p.metadata.uid = uid()
    p.metadata.resource_version = "1"
    p.status.phase = phase
    ready = phase == "Running" if ready is None else ready
    cond = p.status.conditions.add(type="Ready", status="True" if ready else "False")
    cond.last_transition_time.FromNanoseconds(int(ready_since * 1e9))
    if terminating:
        p.metadata.deletion_timestamp.FromSeconds(int(NOW))
    return p


def claim(sts, ordinal: int, template: str = "www", *, terminating: bool = False,
          owners=()) -> core_pb2.PersistentVolumeClaim:
    c = core_pb2.PersistentVolumeClaim()
    c.metadata.name, c.metadata.namespace = f"{template}-{sts.metadata.name}-{ordinal}", "default"
    c.metadata.uid = uid()
    c.metadata.labels["app"] = "nginx"
    c.metadata.resource_version = "1"
    c.metadata.owner_references.extend(owners)
    if terminating:
        c.metadata.deletion_timestamp.FromSeconds(int(NOW))
    return c


def claims_for(sts, *ordinals: int) -> dict[str, core_pb2.PersistentVolumeClaim]:
    return {c.metadata.name: c for c in (claim(sts, o) for o in ordinals)}


def snapshot(sts, pods=(), claims=None, *, current=None, update=None, now: float = NOW) -> Snapshot:
    current = current or revision_of(sts)
    return Snapshot(sts, list(pods), claims or {}, current, update or current, 0, now)


def plan(sts, pods=(), claims=None, **kw):
    return plan_sync(snapshot(sts, pods, claims, **kw))


def summary(p) -> list[tuple[str, ...]]:
    """Each action as a short tuple: ("create-claims", "web-0", "www-web-0"), ("create", "web-0"), ..."""
    out = []
    for a in p.actions():
        kind = type(a).__name__
        if kind == "CreateClaims":
            out.append(("create-claims", a.pod.metadata.name, *(c.metadata.name for c in a.claims),
                        *(f"terminating:{n}" for n in a.terminating)))
        elif kind == "CreatePod":
            out.append(("create", a.pod.metadata.name))
        elif kind == "DeletePod":
            out.append(("delete", a.pod.metadata.name, a.reason))
        elif kind == "UpdatePod":
            out.append(("update", a.pod.metadata.name))
        elif kind == "UpdateClaim":
            out.append(("update-claim" if a.write else "warn-claim", a.claim.metadata.name))
    return out
