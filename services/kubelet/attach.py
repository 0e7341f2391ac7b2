"""Attach: a container's main process reached from outside, what the kubelet serves at /attach
(pkg/kubelet/server/server.go `getAttach`, the CRI `Attach` call) and `kubectl attach` / `kubectl run -i` use.

The output comes from the run's log file, where the shim writes every line the process prints, per
stream (so attach sees exactly what `kubectl logs -f` sees); stdin goes into the run's `stdin` FIFO,
which the shim feeds to the process (runtime/shim.py). The stream ends with the run's exit code.
"""
from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import grpc

from kubelab.api.v1 import kubelet_pb2
from services.kubelet.containerlogs import by_stream, follow_lines
from services.kubelet.runtime.records import RunRecord

__all__ = ["stream_attach", "OPEN_STDIN_TIMEOUT"]

#: How long to wait for the shim to hold the stdin FIFO open (it reopens it between attaches).
OPEN_STDIN_TIMEOUT = 2.0


async def stream_attach(rec: RunRecord, start: kubelet_pb2.AttachStart, request_iterator,
                        context: grpc.aio.ServicerContext) -> None:
    """Send the run's output (from its start, or from now) until it ends, then its exit code, while the
    caller's stdin flows into the process."""
    offset = 0 if start.from_start else _size(rec.log_path)
    async with asyncio.TaskGroup() as tg:
        feeding = tg.create_task(_feed_stdin(rec.run_dir / "stdin", request_iterator)) if start.stdin else None
        async for lines in follow_lines(rec.log_path, offset, lambda: not rec.refresh().ended):
            for stream, data in by_stream(lines):
                await context.write(kubelet_pb2.ExecResponse(**{stream: data}))
        await context.write(kubelet_pb2.ExecResponse(exit_code=rec.exit.exit_code if rec.exit else 137))
        if feeding is not None:
            feeding.cancel()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


async def _feed_stdin(fifo: Path, request_iterator) -> None:
    """Copy stdin chunks into the FIFO until the caller closes stdin; nothing when the container has no
    stdin or its stdin was already closed (stdinOnce after the first attach), as Kubernetes does."""
    fd = await _open_writer(fifo)
    if fd is None:
        return
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                        os.fdopen(fd, "wb", buffering=0))
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    try:
        async for req in request_iterator:
            kind = req.WhichOneof("body")
            if kind == "stdin":
                writer.write(req.stdin)
                await writer.drain()
            elif kind == "stdin_close":
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        writer.close()


async def _open_writer(fifo: Path) -> int | None:
    """The FIFO opened for writing once the shim listens on it; None when it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + OPEN_STDIN_TIMEOUT
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno != errno.ENXIO or loop.time() > deadline:  # ENXIO: no reader (yet)
                return None
        await asyncio.sleep(0.05)
