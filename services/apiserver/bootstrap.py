"""The namespaces that exist from the start, re-created if Redis lost them."""
from __future__ import annotations

import asyncio
import logging

from kubelab.api.v1 import core_pb2
from services.apiserver import errors

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


async def ensure_namespaces(resources, wait: bool = False) -> None:
    """Create the system namespaces that are missing; with wait, retry until storage answers."""
    delay = 0.1
    while True:
        try:
            for name in SYSTEM_NAMESPACES:
                ns = core_pb2.Namespace()
                ns.metadata.name = name
                try:
                    await resources.create(ns)
                    log.info("created namespace name=%s", name)
                except errors.ApiError as e:
                    if e.reason != "AlreadyExists":
                        raise
            return
        except Exception as e:  # Redis not there yet
            if not wait:
                log.warning("could not create system namespaces error=%r", str(e))
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
