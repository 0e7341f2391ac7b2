"""Container lifecycle hooks: postStart right after the container starts, preStop before its SIGTERM.

Handlers: exec (inside the container), httpGet (against the pod IP), sleep. A hook's failure is
reported as Kubernetes does (FailedPostStartHook / FailedPreStopHook events); a failed postStart kills
the container, a failed preStop only delays nothing further. preStop runs within the grace period.
"""
from __future__ import annotations

import asyncio

from kubelab.api.v1 import core_pb2
from services.kubelet.prober import http_get, run_exec
from services.kubelet.probes import PortError, Result, resolve_port
from services.kubelet.runtime.records import RunRecord
from services.kubelet.runtime.runtime import ContainerRuntime

__all__ = ["run_hook"]


async def run_hook(handler: core_pb2.LifecycleHandler, container: core_pb2.Container, pod_ip: str,
                   rec: RunRecord, runtime: ContainerRuntime, timeout: float) -> str | None:
    """Run the handler; None when it succeeded, else what went wrong."""
    try:
        if handler.HasField("exec"):
            result, out = await run_exec(runtime, rec, list(handler.exec.command), timeout)
            return None if result == Result.SUCCESS else f"command {list(handler.exec.command)!r} exited: {out}"
        if handler.HasField("http_get"):
            port = resolve_port(handler.http_get.port, container)
            result, out = await http_get(handler.http_get, handler.http_get.host or pod_ip, port, timeout)
            return None if result == Result.SUCCESS else out
        if handler.HasField("sleep"):
            await asyncio.sleep(min(float(handler.sleep.seconds), timeout))
            return None
    except PortError as e:
        return str(e)
    return "the hook has no handler"
