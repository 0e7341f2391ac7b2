"""The kubelet's own gRPC service (protos/kubelab/v1/kubelet.proto): container logs, exec and attach.

It reads only the node's disk (pod records, run records, CRI log files), so logs stay available
while the API server is down. Errors use kubectl's wording.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from kubelab.api.v1 import kubelet_pb2, kubelet_pb2_grpc
from services.kubelet.attach import stream_attach
from services.kubelet.containerlogs import follow, read_log, render
from services.kubelet.containers import load_runs
from services.kubelet.paths import NodePaths
from services.kubelet.podsetup import load_pod_record
from services.kubelet.runtime.records import RunRecord
from services.kubelet.runtime.runtime import ContainerRuntime

__all__ = ["KubeletServicer", "Target", "TargetError"]

log = logging.getLogger(__name__)


class TargetError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Target:
    pod: str
    container: str
    current: RunRecord | None
    previous: RunRecord | None


class KubeletServicer(kubelet_pb2_grpc.KubeletServicer):
    def __init__(self, paths_of: Callable[[], list[NodePaths]], runtime: ContainerRuntime,
                 hollow: Callable[[str, str], bool] = lambda ns, name: False):
        self.paths_of, self.runtime, self.hollow = paths_of, runtime, hollow

    def find(self, namespace: str, pod: str, container: str, uid: str = "") -> Target:
        namespace = namespace or "default"
        for paths in self.paths_of():
            try:
                uids = [p.name for p in paths.pods.iterdir()]
            except FileNotFoundError:
                continue
            for candidate in uids:
                rec = load_pod_record(paths, candidate)
                if rec is None or (rec.namespace, rec.name) != (namespace, pod) or (uid and candidate != uid):
                    continue
                return self._container(paths, candidate, pod, container)
        if self.hollow(namespace, pod):
            raise TargetError(grpc.StatusCode.FAILED_PRECONDITION,
                              f'pod "{pod}" runs on a hollow node: it has no processes, no logs and no exec')
        raise TargetError(grpc.StatusCode.NOT_FOUND, f'pods "{pod}" not found')

    def _container(self, paths: NodePaths, uid: str, pod: str, container: str) -> Target:
        root = paths.pod_dir(uid) / "containers"
        names = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        if not container:
            if len(names) != 1:
                raise TargetError(grpc.StatusCode.INVALID_ARGUMENT, f"a container name must be specified for "
                                  f"pod {pod}, choose one of: [{' '.join(names)}]")
            container = names[0]
        if container not in names:
            raise TargetError(grpc.StatusCode.INVALID_ARGUMENT,
                              f'container "{container}" in pod "{pod}" is waiting to start: ContainerCreating')
        current, previous = load_runs(root / container)
        return Target(pod, container, current, previous)

    async def Logs(self, request: kubelet_pb2.LogsRequest, context: grpc.aio.ServicerContext):
        try:
            target = self.find(request.namespace, request.pod, request.container, request.uid)
        except TargetError as e:
            await context.abort(e.code, str(e))
        rec = target.previous if request.previous else target.current
        if rec is None:
            if request.previous:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f'previous terminated container '
                                    f'"{target.container}" in pod "{target.pod}" not found')
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f'container "{target.container}" in pod '
                                f'"{target.pod}" is waiting to start: ContainerCreating')
        lines, offset = read_log(rec.log_path)
        since = time.time() - request.since_seconds if request.HasField("since_seconds") else None
        tail = request.tail_lines if request.HasField("tail_lines") else None
        data = render(lines, tail=tail, since=since, timestamps=request.timestamps)
        if data:
            yield kubelet_pb2.LogsChunk(data=data)
        if request.follow and not request.previous:
            async for chunk in follow(rec.log_path, offset, lambda: not rec.refresh().ended,
                                      timestamps=request.timestamps):
                if chunk:
                    yield kubelet_pb2.LogsChunk(data=chunk)

    async def Exec(self, request_iterator, context: grpc.aio.ServicerContext) -> None:
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("body") != "start":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must start the command")
        start = first.start
        if not start.command:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "you must specify at least one command for the "
                                "container")
        try:
            target = self.find(start.namespace, start.pod, start.container, start.uid)
        except TargetError as e:
            await context.abort(e.code, str(e))
        rec = target.current.refresh() if target.current else None
        if rec is None or not rec.running:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                f'unable to upgrade connection: container not found ("{target.container}")')
        log.info("exec pod=%s/%s container=%s command=%r", start.namespace or "default", start.pod,
                 target.container, list(start.command))
        proc = await asyncio.create_subprocess_exec(
            *self.runtime.exec_argv(rec, list(start.command)), env=rec.env, start_new_session=True,
            stdin=asyncio.subprocess.PIPE if start.stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            async with asyncio.TaskGroup() as tg:
                if start.stdin:
                    tg.create_task(_pump_stdin(request_iterator, proc))
                writing = asyncio.Lock()  # grpc.aio allows one write in flight per stream
                out = tg.create_task(_pump_output(proc.stdout, "stdout", context, writing))
                err = tg.create_task(_pump_output(proc.stderr, "stderr", context, writing))
                await asyncio.gather(out, err)
                code = await proc.wait()
                await context.write(kubelet_pb2.ExecResponse(exit_code=code))
                raise _Done
        except* _Done:
            pass
        finally:
            if proc.returncode is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()


    async def Attach(self, request_iterator, context: grpc.aio.ServicerContext) -> None:
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("body") != "start":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must start the attach")
        start = first.start
        try:
            target = self.find(start.namespace, start.pod, start.container, start.uid)
        except TargetError as e:
            await context.abort(e.code, str(e))
        if target.current is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f'container "{target.container}" in pod '
                                f'"{target.pod}" is waiting to start: ContainerCreating')
        log.info("attach pod=%s/%s container=%s stdin=%s", start.namespace or "default", start.pod,
                 target.container, start.stdin)
        await stream_attach(target.current.refresh(), start, request_iterator, context)


class _Done(Exception):
    """Ends the exec's task group (the stdin pump may still be waiting for the caller)."""


async def _pump_stdin(request_iterator, proc: asyncio.subprocess.Process) -> None:
    try:
        async for req in request_iterator:
            kind = req.WhichOneof("body")
            if kind == "stdin":
                proc.stdin.write(req.stdin)
                await proc.stdin.drain()
            elif kind == "stdin_close":
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        proc.stdin.close()


async def _pump_output(stream: asyncio.StreamReader, name: str, context: grpc.aio.ServicerContext,
                       writing: asyncio.Lock) -> None:
    while True:
        data = await stream.read(65536)
        if not data:
            return
        async with writing:
            await context.write(kubelet_pb2.ExecResponse(**{name: data}))
