"""The verbs over stored objects: Kubernetes' generic registry store, for every kind.

Each verb reads from the store, applies the kind's strategy, defaults and validation,
and writes with compare-and-swap on the resourceVersion. Lists and watches are served
from the watch cache.
"""
from __future__ import annotations

import functools
import json
import logging
import random
import time
from typing import Callable

from google.protobuf.message import Message

from kubelab import manifest
from kubelab.api import registry
from kubelab.api.registry import KindInfo
from kubelab.api.v1 import apiserver_pb2
from kubelab.errors import is_conflict, is_not_found
from kubelab.meta import copy_of
from kubelab.network import DEFAULT_SERVICE_CIDR
from kubelab.strategicpatch import merge_patch
from services.apiserver import errors, strategy
from services.apiserver.admission import admit_create
from services.apiserver.defaults import apply_defaults
from services.apiserver.filters import Filter
from services.apiserver.ipallocator import PortRange, ServiceRange
from services.apiserver.serviceallocator import ServiceAllocator
from services.apiserver.serviceregistry import held, prepare_update
from services.apiserver.store import KeyExists, KeyNotFound, Replayed, RevisionConflict, Store
from services.apiserver.validation import validate, validate_status_update, validate_update
from services.apiserver.watchcache import WatchCache

log = logging.getLogger(__name__)

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
PROPAGATION = {"Background": None, "Foreground": "foregroundDeletion", "Orphan": "orphan"}
# apimachinery's rand.String alphabet: no vowels, no confusable digits.
_RANDOM = "bcdfghjklmnpqrstvwxz2456789"


def object_key(info: KindInfo, namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if info.namespaced else name


def _merge_patch_of(patch: str) -> Callable[[dict], dict]:
    try:
        doc = json.loads(patch)
    except ValueError as e:
        raise errors.bad_request(f"error decoding patch: {e}") from None
    if not isinstance(doc, dict):
        raise errors.bad_request("error decoding patch: a merge patch must be a JSON object")
    return lambda current: merge_patch(current, doc)


def _held(info: KindInfo, obj: Message) -> bool:
    """Finalizers keep a deleted object; a namespace also waits for its spec.finalizers."""
    return bool(obj.metadata.finalizers) or (info.kind == "Namespace" and bool(obj.spec.finalizers))


@functools.lru_cache(maxsize=256)  # asked on every create in a namespace, of the same cached bytes
def _terminating(wrapped_namespace: bytes) -> bool:
    ns = registry.unwrap(apiserver_pb2.Object.FromString(wrapped_namespace))
    return ns.metadata.HasField("deletion_timestamp")


class Resources:
    def __init__(self, store: Store, cache: WatchCache, clock: Callable[[], float] = time.time,
                 service_range: ServiceRange | None = None, node_ports: PortRange | None = None):
        self.store = store
        self.cache = cache
        self.clock = clock
        self.services = ServiceAllocator(store, service_range or ServiceRange.parse(DEFAULT_SERVICE_CIDR), node_ports)

    # ---- reads ----

    async def _read(self, info: KindInfo, namespace: str, name: str) -> tuple[Message, int]:
        found = await self.store.get(info.kind, object_key(info, namespace, name))
        if found is None:
            raise errors.not_found(info, name)
        data, rv = found
        return self._finish(info, info.message.FromString(data), rv), rv

    async def _read_for_update(self, info: KindInfo, msg: Message) -> tuple[Message, int]:
        """The stored object an update starts from: the cached copy when it is at the version the
        client sent (the store's compare-and-swap still rejects anything newer), else Redis."""
        given = msg.metadata.resource_version
        cached = self.cache.objects.get(info.kind, {}).get(
            object_key(info, msg.metadata.namespace, msg.metadata.name))
        if given and cached is not None and str(cached.rev) == given:
            return cached.message(), cached.rev
        return await self._read(info, msg.metadata.namespace, msg.metadata.name)

    async def get(self, info: KindInfo, namespace: str, name: str) -> Message:
        return (await self._read(info, namespace if info.namespaced else "", name))[0]

    async def list(self, info: KindInfo, namespace: str, label_selector: str, field_selector: str):
        flt = Filter.parse(info, namespace, label_selector, field_selector)
        await self.cache.wait_fresh()
        items = self.cache.list(info.kind, flt.matches)
        items.sort(key=lambda c: (c.namespace, c.name))
        return items, self.cache.rev

    # ---- writes ----

    def _finish(self, info: KindInfo, msg: Message, rv: int) -> Message:
        msg.metadata.resource_version = str(rv)
        msg.api_version, msg.kind = info.api_version, info.kind
        return msg

    def _stored(self, msg: Message) -> bytes:
        """Objects are stored without resourceVersion, apiVersion and kind (they come from the key), in
        deterministic form (map entries by key): an update compares these bytes with the stored object's to
        write nothing when nothing changed, and a map's entries in another order are no change (they were,
        in a quarter of no-op updates of objects with two labels or annotations or more: a write, a new
        resourceVersion and a watch event for nothing, and kubectl's `patched (no change)` said `patched`)."""
        if not msg.HasField("metadata"):  # never valid; a copy, so that msg does not gain an empty one
            copy = copy_of(msg)
            copy.metadata.resource_version = copy.api_version = copy.kind = ""
            return copy.SerializeToString(deterministic=True)
        # Without copying the object (this runs on every write, twice on an update): blank the three
        # fields, serialize, put them back. None of them has presence, so msg is left exactly as it was.
        meta = msg.metadata
        kept = meta.resource_version, msg.api_version, msg.kind
        meta.resource_version = msg.api_version = msg.kind = ""
        try:
            return msg.SerializeToString(deterministic=True)
        finally:
            meta.resource_version, msg.api_version, msg.kind = kept

    def _check_valid(self, info: KindInfo, msg: Message, errs: list) -> None:
        if errs:
            raise errors.invalid(info, msg.metadata.name or msg.metadata.generate_name, errs)

    async def _check_namespace(self, namespace: str) -> None:
        cached = self.cache.objects.get("Namespace", {}).get(namespace)
        if cached is not None:  # the usual case; only a namespace the cache has not seen yet costs a read
            terminating = _terminating(cached.wrapped)
        else:
            found = await self.store.get("Namespace", namespace)
            if found is None:
                raise errors.not_found(registry.by_kind("Namespace"), namespace)
            terminating = registry.by_kind("Namespace").message.FromString(found[0]).metadata.HasField(
                "deletion_timestamp")
        if terminating:
            raise errors.forbidden(f"unable to create new content in namespace {namespace} "
                                   "because it is being terminated")

    async def create(self, msg: Message, default_namespace: str = "", dry_run: bool = False,
                     request_id: str = "", skip_validation: bool = False) -> Message:
        """Admit, default, validate and store a new object. A request_id seen before (a client's retry
        of a create whose answer it lost) returns the object that first create stored. skip_validation is
        for objects the API server writes itself (see bootstrap.py), never for a client's."""
        info = registry.kind_of(msg)
        meta = msg.metadata
        if info.namespaced:
            if default_namespace and meta.namespace and meta.namespace != default_namespace:
                raise errors.bad_request("the namespace of the provided object does not match the "
                                         "namespace sent on the request")
            meta.namespace = meta.namespace or default_namespace or "default"
        else:
            meta.namespace = ""
        if not meta.name and meta.generate_name:
            meta.name = meta.generate_name + "".join(random.choices(_RANDOM, k=5))
        strategy.prepare_for_create(info, msg, self.clock())
        apply_defaults(msg)
        admit_create(msg, self._storage_classes)
        if info.kind == "Service":
            self._check_valid(info, msg, self.services.init_ip_families(msg))
        if not skip_validation:
            self._check_valid(info, msg, validate(msg))
        if info.namespaced:
            await self._check_namespace(meta.namespace)
        key = object_key(info, meta.namespace, meta.name)

        async def write(claims: list[str], _releases: list[str]) -> int:
            return 0 if dry_run else await self.store.create(info.kind, key, self._stored(msg), request_id, claims)

        try:
            if info.kind == "Service":
                rv = await self.services.write(msg, None, write, dry_run)
            else:
                rv = await write([], [])
        except KeyExists:
            raise errors.already_exists(info, meta.name) from None
        except Replayed as e:
            return await self._replayed(info, e.key)
        return self._finish(info, msg, rv)

    async def _replayed(self, info: KindInfo, key: str) -> Message:
        namespace, _, name = key.rpartition("/")
        log.info("create retried, answering with the object its first attempt made kind=%s key=%s", info.kind, key)
        try:
            return (await self._read(info, namespace, name))[0]
        except errors.ApiError as e:
            if not is_not_found(e):
                raise
        raise errors.conflict(info.resource, name, "the object this request created earlier was deleted "
                                                   "before the retry came") from None

    def _storage_classes(self) -> list[Message]:
        return [c.message() for c in self.cache.objects.get("StorageClass", {}).values()]

    def _expected_rv(self, info: KindInfo, msg: Message, current: int) -> int:
        given = msg.metadata.resource_version
        if not given:
            msg.metadata.resource_version = str(current)  # unconditional update, as most kinds allow
            return current
        try:
            expected = int(given)
        except ValueError:
            raise errors.bad_request(f'resourceVersion: Invalid value: "{given}": must be an integer') from None
        if expected != current:
            raise errors.conflict(info.resource, msg.metadata.name)
        return expected

    @staticmethod
    def _service_holds(info: KindInfo, obj: Message) -> list[str]:
        """The ClusterIPs and NodePorts a stored object holds, released when it goes."""
        return held(obj) if info.kind == "Service" else []

    async def _write(self, info: KindInfo, new: Message, expected: int,
                     old: Message | None = None, data: bytes | None = None) -> tuple[Message, bool]:
        """Store an updated object (data: its _stored() bytes, when the caller has them already); a
        terminating object whose last finalizer went is removed. A Service update (old given) claims or
        releases its ClusterIPs and NodePorts in the same write."""
        key = object_key(info, new.metadata.namespace, new.metadata.name)
        meta = new.metadata
        gone = (meta.HasField("deletion_timestamp") and not _held(info, new)
                and (info.kind != "Pod" or meta.deletion_grace_period_seconds == 0))
        try:
            if gone:
                rv = await self.store.delete(info.kind, key, self._stored(new) if data is None else data, expected,
                                             self._service_holds(info, new))
            elif info.kind == "Service" and old is not None:  # the allocator may give `new` addresses first
                rv = await self.services.write(new, old, lambda claims, releases: self.store.update(
                    info.kind, key, self._stored(new), expected, claims, releases))
            else:
                rv = await self.store.update(info.kind, key, self._stored(new) if data is None else data, expected)
        except RevisionConflict:
            raise errors.conflict(info.resource, meta.name) from None
        except KeyNotFound:
            raise errors.not_found(info, meta.name) from None
        return self._finish(info, new, rv), gone

    async def update(self, msg: Message, default_namespace: str = "", skip_validation: bool = False,
                     dry_run: bool = False) -> Message:
        info = registry.kind_of(msg)
        msg.metadata.namespace = (msg.metadata.namespace or default_namespace or "default") if info.namespaced else ""
        old, current = await self._read_for_update(info, msg)
        expected = self._expected_rv(info, msg, current)
        apply_defaults(msg)  # before the generation is decided: defaults a client left out are no spec change
        if info.kind == "Service":
            prepare_update(msg, old)
            self._check_valid(info, msg, self.services.init_ip_families(msg))
        strategy.prepare_for_update(info, msg, old)
        if not skip_validation:
            self._check_valid(info, msg, validate_update(msg, old))
        data = self._stored(msg)
        if dry_run or data == self._stored(old):
            return msg  # an update that changes nothing writes nothing (resourceVersion unchanged)
        return (await self._write(info, msg, expected, old, data))[0]

    async def update_status(self, msg: Message, default_namespace: str = "", dry_run: bool = False) -> Message:
        info = registry.kind_of(msg)
        if not info.has_status:
            raise errors.bad_request(f"{info.resource} have no status subresource")
        msg.metadata.namespace = (msg.metadata.namespace or default_namespace or "default") if info.namespaced else ""
        old, current = await self._read_for_update(info, msg)
        expected = self._expected_rv(info, msg, current)
        merged = strategy.prepare_for_status_update(msg, old)
        self._check_valid(info, merged, validate_status_update(merged, old))
        data = self._stored(merged)
        if dry_run or data == self._stored(old):
            return merged
        return (await self._write(info, merged, expected, data=data))[0]

    async def patch(self, info: KindInfo, namespace: str, name: str, patch: str | Callable[[dict], dict],
                    status: bool, dry_run: bool = False) -> Message:
        """patch: a JSON merge patch, or a function from the object's JSON form to the patched form (the
        HTTP API's patch types). A patch that sets another metadata.resourceVersion is conditional: a
        conflict is the answer, not a reason to try again."""
        apply = _merge_patch_of(patch) if isinstance(patch, str) else patch
        for _ in range(5):
            old, rv = await self._read(info, namespace if info.namespaced else "", name)
            merged = apply(manifest.to_dict(old))
            try:
                new = manifest.from_dict(merged)
            except manifest.ManifestError as e:
                raise errors.bad_request(str(e)) from None
            try:
                if status:
                    return await self.update_status(new, dry_run=dry_run)
                return await self.update(new, dry_run=dry_run)
            except errors.ApiError as e:
                if not is_conflict(e) or new.metadata.resource_version != str(rv):
                    raise
        raise errors.conflict(info.resource, name)

    async def delete(self, info: KindInfo, namespace: str, name: str, grace: int | None,
                     uid: str | None, resource_version: str | None, policy: str,
                     dry_run: bool = False) -> tuple[Message, bool]:
        if policy and policy not in PROPAGATION:
            raise errors.bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                     '"Foreground", "Background", "Orphan"')
        if info.kind == "Namespace" and name in PROTECTED_NAMESPACES:
            raise errors.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        namespace = namespace if info.namespaced else ""
        for _ in range(5):
            obj, current = await self._read(info, namespace, name)
            self._check_preconditions(obj, uid, resource_version)
            if dry_run:
                return obj, False
            try:
                return await self._delete_once(info, obj, current, grace, policy)
            except errors.ApiError as e:
                if not is_conflict(e):
                    raise
        raise errors.conflict(info.resource, name)

    def _check_preconditions(self, obj: Message, uid: str | None, rv: str | None) -> None:
        meta = obj.metadata
        if uid is not None and uid != meta.uid:
            raise errors.precondition(f"UID in precondition: {uid}, UID in object meta: {meta.uid}")
        if rv is not None and rv != meta.resource_version:
            raise errors.precondition(f"ResourceVersion in precondition: {rv}, "
                                      f"ResourceVersion in object meta: {meta.resource_version}")

    async def _delete_once(self, info: KindInfo, obj: Message, current: int, grace: int | None,
                           policy: str) -> tuple[Message, bool]:
        meta = obj.metadata
        key = object_key(info, meta.namespace, meta.name)
        finalizer = PROPAGATION.get(policy or "Background")
        if finalizer and finalizer not in meta.finalizers:
            meta.finalizers.append(finalizer)
        grace = self._grace(info, obj, grace)
        if info.kind == "Namespace" and _held(info, obj):
            obj.status.phase = "Terminating"  # the namespace controller empties it, then finalizes
        if _held(info, obj) or grace > 0:
            if meta.HasField("deletion_timestamp"):
                if grace >= meta.deletion_grace_period_seconds and not finalizer:
                    return obj, False  # already terminating; a longer grace changes nothing
            if not meta.HasField("deletion_timestamp") or grace < meta.deletion_grace_period_seconds:
                meta.deletion_timestamp.FromSeconds(int(self.clock()) + grace)
                meta.deletion_grace_period_seconds = grace
            return await self._write(info, obj, current)
        try:
            rv = await self.store.delete(info.kind, key, self._stored(obj), current, self._service_holds(info, obj))
        except RevisionConflict:
            raise errors.conflict(info.resource, meta.name) from None
        except KeyNotFound:
            raise errors.not_found(info, meta.name) from None
        return self._finish(info, obj, rv), True

    def _grace(self, info: KindInfo, obj: Message, grace: int | None) -> int:
        """Only pods on a node wait for their kubelet; everything else goes at once."""
        if info.kind != "Pod":
            return 0
        if not obj.spec.node_name or obj.status.phase in ("Succeeded", "Failed"):
            return 0
        if grace is None:
            grace = obj.spec.termination_grace_period_seconds if obj.spec.HasField(
                "termination_grace_period_seconds") else 30
        return max(0, grace)

    async def bind(self, namespace: str, name: str, node_name: str, uid: str) -> Message:
        info = registry.by_kind("Pod")
        pod, current = await self._read(info, namespace, name)
        binding = "pods/binding"
        if uid and pod.metadata.uid != uid:
            raise errors.conflict(binding, name, f"pod {name} has uid {pod.metadata.uid}, not {uid}")
        if pod.metadata.HasField("deletion_timestamp"):
            raise errors.conflict(binding, name, f"pod {name} is being deleted, cannot be assigned to a host")
        if pod.spec.node_name:
            raise errors.conflict(binding, name,
                                  f'pod {name} is already assigned to node "{pod.spec.node_name}"')
        if not node_name:
            raise errors.bad_request("target.name: Required value")
        pod.spec.node_name = node_name
        cond = next((c for c in pod.status.conditions if c.type == "PodScheduled"), None)
        if cond is None:
            cond = pod.status.conditions.add(type="PodScheduled")
        cond.status, cond.reason, cond.message = "True", "", ""
        cond.last_transition_time.FromSeconds(int(self.clock()))
        try:
            rv = await self.store.update(info.kind, object_key(info, namespace, name), self._stored(pod), current)
        except RevisionConflict:
            raise errors.conflict(binding, name) from None
        return self._finish(info, pod, rv)
