"""Running probes against one container run: exec (inside the container), httpGet, tcpSocket and grpc
against the pod IP, with Kubernetes' timings and failure messages. Decisions are in `probes.py`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable

from kubelab.api.v1 import core_pb2
from services.kubelet.probes import Kind, PortError, ProbeTracker, Result, resolve_port, timing_of
from services.kubelet.runtime.records import RunRecord
from services.kubelet.runtime.runtime import ContainerRuntime

__all__ = ["ContainerProber", "probe_once", "run_exec", "http_get"]

log = logging.getLogger(__name__)

MAX_OUTPUT = 10 * 1024


async def run_exec(runtime: ContainerRuntime, rec: RunRecord, command: list[str], timeout: float) -> tuple[Result, str]:
    proc = await asyncio.create_subprocess_exec(*runtime.exec_argv(rec, command), env=rec.env,
                                                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await proc.wait()
        return Result.FAILURE, f"command {command!r} timed out"
    text = out[:MAX_OUTPUT].decode(errors="replace").strip()
    return (Result.SUCCESS, text) if proc.returncode == 0 else (Result.FAILURE, text)


async def http_get(action: core_pb2.HTTPGetAction, host: str, port: int, timeout: float) -> tuple[Result, str]:
    path = action.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    scheme = (action.scheme or "HTTP").lower()
    url = f"{scheme}://{host}:{port}{path}"
    headers = {"Host": f"{host}:{port}", "User-Agent": "kube-probe/1.30", "Accept": "*/*", "Connection": "close"}
    for h in action.http_headers:
        headers[h.name] = h.value
    request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=scheme == "https" or None)
            try:
                writer.write(request.encode())
                await writer.drain()
                line = await reader.readline()
            finally:
                writer.close()
    except TimeoutError:
        return Result.FAILURE, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    except OSError as e:
        return Result.FAILURE, f'Get "{url}": dial tcp {host}:{port}: connect: {_reason(e)}'
    parts = line.decode(errors="replace").split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if 200 <= code < 400:
        return Result.SUCCESS, ""
    return Result.FAILURE, f"HTTP probe failed with statuscode: {code}"


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).lower()


async def _tcp(host: str, port: int, timeout: float) -> tuple[Result, str]:
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
        return Result.SUCCESS, ""
    except TimeoutError:
        return Result.FAILURE, f"dial tcp {host}:{port}: i/o timeout"
    except OSError as e:
        return Result.FAILURE, f"dial tcp {host}:{port}: connect: {_reason(e)}"


async def _grpc(action: core_pb2.GRPCAction, host: str, timeout: float) -> tuple[Result, str]:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    target = f"{host}:{action.port}"
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            resp = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=action.service), timeout=timeout)
    except grpc.RpcError as e:
        return Result.FAILURE, f"failed to connect service {target!r} within {timeout:g}s: {e.details()}"
    if resp.status == health_pb2.HealthCheckResponse.SERVING:
        return Result.SUCCESS, ""
    return Result.FAILURE, f"service unhealthy (responded with {health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)})"


async def probe_once(probe: core_pb2.Probe, container: core_pb2.Container, pod_ip: str, rec: RunRecord,
                     runtime: ContainerRuntime) -> tuple[Result, str]:
    timeout = timing_of(probe).timeout
    try:
        if probe.HasField("exec"):
            return await run_exec(runtime, rec, list(probe.exec.command), timeout)
        if probe.HasField("http_get"):
            port = resolve_port(probe.http_get.port, container)
            return await http_get(probe.http_get, probe.http_get.host or pod_ip, port, timeout)
        if probe.HasField("tcp_socket"):
            port = resolve_port(probe.tcp_socket.port, container)
            return await _tcp(probe.tcp_socket.host or pod_ip, port, timeout)
        if probe.HasField("grpc"):
            return await _grpc(probe.grpc, pod_ip, timeout)
    except PortError as e:
        return Result.FAILURE, str(e)
    return Result.UNKNOWN, "probe has no handler"


class ContainerProber:
    """The readiness, liveness and startup probes of one container run; `run()` until cancelled."""

    def __init__(self, key: str, container: core_pb2.Container, rec: RunRecord, pod_ip: str,
                 runtime: ContainerRuntime, wake: Callable[[], None],
                 on_failure: Callable[[Kind, str], None]):
        self.key, self.container, self.rec, self.pod_ip = key, container, rec, pod_ip
        self.runtime, self.wake, self.on_failure = runtime, wake, on_failure
        self.probes: dict[Kind, core_pb2.Probe] = {}
        for kind, field in ((Kind.STARTUP, "startup_probe"), (Kind.READINESS, "readiness_probe"),
                            (Kind.LIVENESS, "liveness_probe")):
            if container.HasField(field):
                self.probes[kind] = getattr(container, field)
        self.trackers = {k: ProbeTracker(k, timing_of(p)) for k, p in self.probes.items()}
        self._started = asyncio.Event()
        if Kind.STARTUP not in self.probes:
            self._started.set()

    @property
    def started(self) -> bool:
        return self._started.is_set()

    @property
    def ready(self) -> bool:
        if not self.started:
            return False
        tracker = self.trackers.get(Kind.READINESS)
        return tracker is None or tracker.result == Result.SUCCESS

    def unhealthy(self) -> tuple[Kind, str] | None:
        """The probe that asks for a restart, with its last output."""
        for kind in (Kind.STARTUP, Kind.LIVENESS):
            t = self.trackers.get(kind)
            if t is not None and t.wants_restart:
                return kind, t.last_output
        return None

    async def run(self) -> None:
        if not self.probes:
            return
        async with asyncio.TaskGroup() as tg:
            for kind in self.probes:
                tg.create_task(self._loop(kind), name=f"probe:{self.key}:{self.container.name}:{kind.value}")

    async def _loop(self, kind: Kind) -> None:
        probe, tracker = self.probes[kind], self.trackers[kind]
        timing = tracker.timing
        while True:
            if kind != Kind.STARTUP and not self.started:
                await self._started.wait()
            if kind == Kind.STARTUP and self.started or tracker.on_hold:
                return
            delay = self.rec.started_at + timing.initial_delay - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            result, output = await probe_once(probe, self.container, self.pod_ip, self.rec, self.runtime)
            if result == Result.FAILURE:
                self.on_failure(kind, output)
            changed = tracker.observe(result, output)
            if kind == Kind.STARTUP and tracker.result == Result.SUCCESS:
                self._started.set()
            if changed:
                log.info("probe result changed pod=%s container=%s probe=%s result=%s", self.key,
                         self.container.name, kind.value, tracker.result.value)
                self.wake()
            await asyncio.sleep(timing.period)
