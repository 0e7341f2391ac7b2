"""The namespace controller (k/k `pkg/controller/namespace`): empties a terminating Namespace, then removes
its `kubernetes` finalizer so that the API server removes it.

A sync of namespace N (deletionTimestamp set, `kubernetes` still in spec.finalizers), as upstream's
namespacedResourcesDeleter does it:
- list every namespaced kind in N from the API (not the cache: a finalized namespace cannot get its
  content back), delete what is not being deleted yet (propagation Background, uid precondition), and list
  again the kinds where something was deleted;
- write the status conditions (NamespaceContentRemaining, NamespaceFinalizersRemaining, ...) if they changed;
- anything left: look again in estimate/2 + 1 s (pods: their grace period; objects with finalizers: 15 s);
  nothing left: update the Namespace without the finalizer.

Events on any object of a terminating namespace also wake N up, so a pod confirmed gone by its kubelet
does not wait for the estimate.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.controller import Result
from kubelab.errors import ApiError, is_conflict, is_not_found, is_precondition_failed
from kubelab.informer import InformerFactory
from services.lifecycle import namespace_decisions as nsd

__all__ = ["NamespaceController"]

log = logging.getLogger(__name__)


class NamespaceController:
    def __init__(self, client, informers: InformerFactory, clock: Callable[[], float] = time.time):
        self.client, self.clock = client, clock
        self.namespaces = informers.informer("Namespace")
        self.kinds = [k for k in registry.KINDS if k.namespaced]

    def watches(self) -> list[tuple[str, Callable[[Message], list[str]]]]:
        """Any namespaced object of a terminating namespace maps to that namespace."""
        def keys(obj: Message) -> list[str]:
            ns = obj.metadata.namespace
            return [ns] if ns and nsd.terminating(self.namespaces.get(ns)) else []
        return [(k.kind, keys) for k in self.kinds]

    async def reconcile(self, name: str) -> Result | None:
        ns = self.namespaces.get(name)
        if not nsd.terminating(ns) or nsd.finalized(ns):
            return None
        try:
            return await self._sync(ns)
        except ApiError as e:
            if not (is_conflict(e) or is_not_found(e)):
                raise
            log.debug("namespace changed meanwhile, looking again namespace=%s error=%s", name, e)
            return Result(requeue=True)

    async def _sync(self, ns: Message) -> Result | None:
        name = ns.metadata.name
        listed = [await self._delete_content(info, name) for info in self.kinds]
        rem = nsd.remaining(listed)
        updated = nsd.with_conditions(ns, nsd.new_conditions(rem, self.clock()))
        if updated is not None:
            ns = await self.client.update_status(updated)
        wait = nsd.requeue_after(rem)
        if wait is None:
            log.info("namespace empty, removing finalizer namespace=%s finalizer=%s", name, nsd.FINALIZER)
            await self.client.update(nsd.without_finalizer(ns))
            return None
        log.info("content remaining namespace=%s resources=%s finalizers=%s wait=%s", name,
                 ",".join(f"{r}:{n}" for r, n in sorted(rem.by_resource.items())) or "-",
                 ",".join(f"{f}:{n}" for f, n in sorted(rem.by_finalizer.items())) or "-", wait or "backoff")
        return Result(requeue_after=wait) if wait else Result(requeue=True)

    async def _delete_content(self, info: registry.KindInfo, namespace: str) -> nsd.Listed:
        try:
            items, _ = await self.client.list(info.kind, namespace)
        except ApiError as e:
            return nsd.Listed(info, error=f"unable to list {info.resource}: {e.message}")
        estimate = nsd.estimate(info, items)
        doomed = nsd.to_delete(items)
        if not doomed:
            return nsd.Listed(info, tuple(items), estimate)
        errors = []
        for obj in doomed:
            err = await self._delete(info, obj)
            if err:
                errors.append(err)
        try:
            items, _ = await self.client.list(info.kind, namespace)
        except ApiError as e:
            errors.append(f"unable to list {info.resource}: {e.message}")
        return nsd.Listed(info, tuple(items), estimate, errors[0] if errors else "")

    async def _delete(self, info: registry.KindInfo, obj: Message) -> str:
        m = obj.metadata
        log.debug("deleting object=%s:%s/%s", info.kind, m.namespace, m.name)
        try:
            await self.client.delete(info.kind, m.name, m.namespace, uid=m.uid, propagation_policy="Background")
        except ApiError as e:
            if is_not_found(e) or is_precondition_failed(e):
                return ""  # gone already, or replaced (the next list shows the new one)
            return f"unable to delete {info.resource} {m.name}: {e.message}"
        return ""
