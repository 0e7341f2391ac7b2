"""The effects of a slice plan (the writing half of staging `k8s.io/endpointslice/reconciler.go`
finalize): creates, then updates, then deletes, each failure collected in upstream's words and the rest
still attempted:

    failed to create EndpointSlice for Service <ns>/<svc>: <err>
    failed to update <slice> EndpointSlice for Service <ns>/<svc>: <err>
    failed to delete <slice> EndpointSlice for Service <ns>/<svc>: <err>

A create refused because the namespace is being terminated drops the rest of the plan, as upstream does
(creates will keep failing; the namespace controller removes what is there). Every successful write is
reported to `on_write`, so the next sync waits for the cache to show it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_forbidden, is_not_found
from services.endpoints.slice_decisions import SlicePlan

__all__ = ["SliceWriter", "namespace_terminating"]

log = logging.getLogger(__name__)


def namespace_terminating(e: ApiError) -> bool:
    return is_forbidden(e) and "because it is being terminated" in e.message


class SliceWriter:
    def __init__(self, client, on_write: Callable[[str, Message], None]):
        self.client, self.on_write = client, on_write

    async def apply(self, key: str, svc: core_pb2.Service, plan: SlicePlan) -> list[str]:
        """Carry out the plan; returns the failures (empty: all written)."""
        where = f"Service {svc.metadata.namespace}/{svc.metadata.name}"
        errors: list[str] = []
        for es in plan.create:
            try:
                created = await self.client.create(es)
            except ApiError as e:
                if namespace_terminating(e):
                    return []
                errors.append(f"failed to create EndpointSlice for {where}: {e}")
                continue
            self._wrote(key, "created", created)
        for es in plan.update:
            try:
                self._wrote(key, "updated", await self.client.update(es))
            except ApiError as e:
                errors.append(f"failed to update {es.metadata.name} EndpointSlice for {where}: {e}")
        for es in plan.delete:
            try:
                gone, _ = await self.client.delete("EndpointSlice", es.metadata.name, es.metadata.namespace,
                                                   uid=es.metadata.uid)
            except ApiError as e:
                if not is_not_found(e):
                    errors.append(f"failed to delete {es.metadata.name} EndpointSlice for {where}: {e}")
                continue
            self._wrote(key, "deleted", gone)
        return errors

    def _wrote(self, key: str, what: str, es: Message) -> None:
        self.on_write(key, es)
        log.info("%s EndpointSlice service=%s name=%s endpoints=%d", what, key, es.metadata.name,
                 len(es.endpoints))
