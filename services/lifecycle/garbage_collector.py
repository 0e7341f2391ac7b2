"""The garbage collector's plumbing (k/k `pkg/controller/garbagecollector`): informers for every kind the
API serves, the handlers that say which objects to look at, and `reconcile(key)`, which reads the object
and its owners and dependents, asks `gc_decisions` and writes.

Kubernetes keeps a graph of owners and dependents; here the informers' BY_OWNER indexes are that graph.
Keys are `Kind:namespace/name` (`Kind:name` for cluster-scoped kinds; a Namespace's key is its name, as
the Controller's own Namespace informer enqueues it).

What an event on object X enqueues (level-triggered: the handlers only pick keys):
- X, if it has ownerReferences or is being deleted with `foregroundDeletion` or `orphan`;
- X's dependents, if X is gone (a delete: they may be dangling now) or being deleted (they may have to go
  first, or be orphaned);
- X's owners that are being deleted in the foreground (X may have been their last blocking dependent).

An owner the cache does not know (or knows under another uid) is looked up with a live GET before its
dependents are deleted, so a lagging cache never deletes a dependent of an owner that exists.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.controller import Result
from kubelab.controller_ref_manager import without_owner
from kubelab.errors import ApiError, is_conflict, is_not_found, is_precondition_failed
from kubelab.informer import BY_OWNER, InformerFactory, SharedInformer, key_of
from services.lifecycle import gc_decisions as gc

__all__ = ["GarbageCollector", "gc_key", "WAIT_RECHECK"]

log = logging.getLogger(__name__)

WAIT_RECHECK = 10.0
"""While an owner waits for blocking dependents, look again this often (events normally come first)."""
ABSENT_CACHE_SIZE = 1024


def gc_key(kind: str, obj: Message) -> str:
    return key_of(obj) if kind == "Namespace" else f"{kind}:{key_of(obj)}"


def _parse(key: str) -> tuple[str, str]:
    kind, sep, rest = key.partition(":")
    return (kind, rest) if sep else ("Namespace", key)


class GarbageCollector:
    def __init__(self, client, informers: InformerFactory):
        self.client = client
        self.informers: dict[str, SharedInformer] = {k.kind: informers.informer(k.kind) for k in registry.KINDS}
        self._absent: OrderedDict[str, None] = OrderedDict()

    # --- handlers: objects -> keys ----------------------------------------------------------------------

    def watches(self) -> list[tuple[str, Callable[[Message], list[str]]]]:
        return [(kind, self._mapper(kind)) for kind in self.informers]

    def _mapper(self, kind: str) -> Callable[[Message], list[str]]:
        informer = self.informers[kind]

        def keys(obj: Message) -> list[str]:
            cached = informer.get(key_of(obj))
            gone = cached is None or cached.metadata.uid != obj.metadata.uid
            out = []
            if not gone and (obj.metadata.owner_references or gc.deleting_dependents(obj) or gc.orphaning(obj)):
                out.append(gc_key(kind, obj))
            if gone or gc.deleting(obj):
                out += [gc_key(k, d) for k, d in self.dependents(obj.metadata.uid)]
            out += self._waiting_owner_keys(obj)
            return out
        return keys

    def _waiting_owner_keys(self, obj: Message) -> list[str]:
        out = []
        for ref in obj.metadata.owner_references:
            owner = self._cached_owner(ref, obj.metadata.namespace)
            if owner is not None and gc.deleting_dependents(owner):
                out.append(gc_key(ref.kind, owner))
        return out

    def dependents(self, owner_uid: str) -> list[tuple[str, Message]]:
        return [(kind, d) for kind, inf in self.informers.items() for d in inf.by_index(BY_OWNER, owner_uid)]

    # --- owners -----------------------------------------------------------------------------------------

    def _owner_key(self, ref, namespace: str) -> tuple[registry.KindInfo, str] | None:
        try:
            info = registry.by_kind(ref.kind)
        except registry.UnknownKind:
            return None
        if info.namespaced and not namespace:
            return None  # a cluster-scoped object cannot have a namespaced owner
        return info, (f"{namespace}/{ref.name}" if info.namespaced else ref.name)

    def _cached_owner(self, ref, namespace: str) -> Message | None:
        found = self._owner_key(ref, namespace)
        if found is None:
            return None
        owner = self.informers[found[0].kind].get(found[1])
        return owner if owner is not None and owner.metadata.uid == ref.uid else None

    async def owner_state(self, ref, dependent: Message) -> gc.OwnerState:
        namespace = dependent.metadata.namespace
        found = self._owner_key(ref, namespace)
        if found is None:
            log.warning("unresolvable owner reference, keeping the object object=%s owner=%s/%s", key_of(dependent),
                        ref.kind, ref.name)
            return gc.OwnerState(ref, exists=True)
        owner = self._cached_owner(ref, namespace)
        if owner is None:
            owner = await self._live_owner(ref, found)
        if owner is None:
            return gc.OwnerState(ref, exists=False)
        return gc.OwnerState(ref, exists=True, deleting_dependents=gc.deleting_dependents(owner))

    async def _live_owner(self, ref, found) -> Message | None:
        """The cache may lag: ask the API before calling an owner absent (remembering absent uids)."""
        if ref.uid in self._absent:
            return None
        info, key = found
        ns, _, name = key.rpartition("/")
        try:
            owner = await self.client.get(info.kind, name, ns)
        except ApiError as e:
            if not is_not_found(e):
                raise
            owner = None
        if owner is None or owner.metadata.uid != ref.uid:
            self._absent[ref.uid] = None
            while len(self._absent) > ABSENT_CACHE_SIZE:
                self._absent.popitem(last=False)
            return None
        return owner

    # --- reconcile --------------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result | None:
        try:
            return await self._reconcile(key)
        except ApiError as e:
            if not is_conflict(e):
                raise
            log.debug("conflict, looking again object=%s error=%s", key, e)
            return Result(requeue=True)  # the cache was behind; the object's own event follows

    async def _reconcile(self, key: str) -> Result | None:
        kind, cache_key = _parse(key)
        informer = self.informers.get(kind)
        obj = informer.get(cache_key) if informer is not None else None
        if obj is None:
            return None
        if gc.orphaning(obj):
            await self._orphan_dependents(kind, obj)
            return None
        if gc.deleting_dependents(obj):
            return await self._process_deleting_dependents(kind, obj)
        if gc.deleting(obj) or not obj.metadata.owner_references:
            return None  # on its way out already, or nobody's dependent
        owners = gc.classify([await self.owner_state(ref, obj) for ref in obj.metadata.owner_references])
        dependents = [d for _, d in self.dependents(obj.metadata.uid)]
        decision = gc.attempt_to_delete(obj, owners, dependents)
        if isinstance(decision, gc.RemoveOwnerRefs):
            log.info("removing references to dangling or waiting owners object=%s owners=%s", key,
                     ",".join(decision.uids))
            await self._update(without_owner(obj, decision.uids))
        elif isinstance(decision, gc.Delete):
            if decision.unblock_first:
                obj = await self._update(gc.unblocked(obj)) or obj
            await self._delete(kind, obj, decision.policy)
        return None

    async def _process_deleting_dependents(self, kind: str, owner: Message) -> Result | None:
        blocking = gc.blocking_dependents(owner.metadata.uid, [d for _, d in self.dependents(owner.metadata.uid)])
        if blocking:
            log.debug("waiting for blocking dependents owner=%s count=%d", gc_key(kind, owner), len(blocking))
            return Result(requeue_after=WAIT_RECHECK)
        log.info("all blocking dependents gone, removing finalizer object=%s finalizer=%s", gc_key(kind, owner),
                 gc.FOREGROUND)
        await self._update(gc.without_finalizer(owner, gc.FOREGROUND))
        return None

    async def _orphan_dependents(self, kind: str, owner: Message) -> None:
        uid = owner.metadata.uid
        for dep_kind, dep in self.dependents(uid):
            log.info("orphaning dependent owner=%s dependent=%s", gc_key(kind, owner), gc_key(dep_kind, dep))
            await self._update(without_owner(dep, [uid]))
        await self._update(gc.without_finalizer(owner, gc.ORPHAN))

    # --- effects ----------------------------------------------------------------------------------------

    async def _update(self, obj: Message) -> Message | None:
        """A conditional update (the resourceVersion read); None if the object is gone."""
        try:
            return await self.client.update(obj)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise

    async def _delete(self, kind: str, obj: Message, policy: str) -> None:
        m = obj.metadata
        log.info("deleting object=%s propagation=%s", gc_key(kind, obj), policy)
        try:
            await self.client.delete(kind, m.name, m.namespace, uid=m.uid, propagation_policy=policy)
        except ApiError as e:
            if not (is_not_found(e) or is_precondition_failed(e)):
                raise
