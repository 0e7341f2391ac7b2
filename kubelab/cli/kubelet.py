"""Talking to a pod's kubelet, for `kubelab logs`, `exec`, `run -i` and `cp`: the verbs read the pod from the
API server, then talk to the kubelet of the pod's node (the Node's InternalIP and
status.daemonEndpoints.kubeletEndpoint.Port) over its gRPC service (kubelab.v1.Kubelet).

Without -c the container is the one named by the pod's `kubectl.kubernetes.io/default-container`
annotation, else the first (with kubectl's "Defaulted container" note when there are several).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import termios
import threading
from typing import BinaryIO

import grpc

from kubelab import kubeletaddr
from kubelab.api.v1 import core_pb2, kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli.session import CliError, Session

__all__ = ["kubelet_address", "choose_container", "pod_target",
           "stream_requests", "stream_logs", "relay_output", "rpc_error", "terminal_kept", "warn_no_tty"]

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


def _pod_name(text: str) -> str:
    kind, sep, name = text.partition("/")
    if not sep:
        return text
    if kind.lower() not in ("pod", "pods", "po"):
        raise CliError(f"error: kubelab {'logs'} takes a pod: {kind}/{name} is not one")
    return name


def kubelet_address(node: core_pb2.Node) -> str:
    """HOST:PORT of the node's kubelet service."""
    address = kubeletaddr.kubelet_address(node)
    if not address:
        raise CliError(f'Error from server: node "{node.metadata.name}" does not report its kubelet\'s address')
    return address


def choose_container(pod: core_pb2.Pod, wanted: str | None, verb: str) -> str:
    """The container to talk to; kubectl's errors and notes."""
    names = [c.name for c in pod.spec.containers]
    init_names = [c.name for c in pod.spec.init_containers]
    if wanted:
        if wanted not in names + init_names:
            raise CliError(f"Error from server (BadRequest): container {wanted} is not valid for pod "
                           f"{pod.metadata.name}")
        return wanted
    default = pod.metadata.annotations.get(DEFAULT_CONTAINER_ANNOTATION)
    chosen = default if default in names else names[0]
    if len(names) + len(init_names) > 1 and default not in names:
        listed = ", ".join(names + [f"{n} (init)" for n in init_names])
        print(f'Defaulted container "{chosen}" out of: {listed}', file=sys.stderr)
    return chosen


async def pod_target(ctx: Session, pod_arg: str, container: str | None, verb: str):
    pod = await ctx.client.get("Pod", _pod_name(pod_arg), ctx.namespace)
    if not pod.spec.node_name:
        raise CliError(f"Error from server (BadRequest): pod {pod.metadata.name} does not have a host assigned")
    name = choose_container(pod, container, verb)
    node = await ctx.client.get("Node", pod.spec.node_name)
    return pod, name, kubelet_address(node)


def rpc_error(e: grpc.RpcError, address: str) -> CliError:
    if e.code() == grpc.StatusCode.UNAVAILABLE:
        return CliError(f"Error from server: error dialing backend: dial tcp {address}: connect: connection refused")
    reason = {grpc.StatusCode.NOT_FOUND: "NotFound", grpc.StatusCode.INVALID_ARGUMENT: "BadRequest"}.get(e.code())
    return CliError(f"Error from server ({reason}): {e.details()}" if reason else f"error: {e.details()}")


async def stream_logs(ctx: Session, pod: core_pb2.Pod, container: str, address: str, prefix: bytes = b"") -> int:
    """Copy one container's log to stdout, each line after `prefix` (`[pod/web-0/c] ` for --prefix)."""
    args = ctx.args
    req = kubelet_pb2.LogsRequest(namespace=pod.metadata.namespace, pod=pod.metadata.name, uid=pod.metadata.uid,
                                  container=container, follow=args.follow, previous=args.previous,
                                  timestamps=args.timestamps)
    if args.tail is not None and args.tail >= 0:
        req.tail_lines = args.tail
    if args.since:
        from kubelab.cli.durations import parse_duration
        req.since_seconds = max(1, int(parse_duration(args.since)))
    out = sys.stdout.buffer
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            async for chunk in kubelet_pb2_grpc.KubeletStub(channel).Logs(req):
                out.write(_prefixed(chunk.data, prefix) if prefix else chunk.data)
                out.flush()
        except grpc.RpcError as e:
            raise rpc_error(e, address) from None
    return 0


def _prefixed(data: bytes, prefix: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(prefix + line for line in lines)


def _stdin_chunks(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """In a thread: read stdin and hand the chunks to the event loop (None at EOF).

    os.read on the descriptor, not sys.stdin.buffer: the thread is still blocked reading when the command
    ends, and a daemon thread holding the buffered reader's lock aborts the interpreter at exit
    (`Fatal Python error: _enter_buffered_busy`)."""
    fd = sys.stdin.fileno()
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the terminal went away
            data = b""
        loop.call_soon_threadsafe(queue.put_nowait, data or None)
        if not data:
            return


@contextlib.contextmanager
def terminal_kept():
    """Put the terminal's modes back as they were, however the command ends."""
    fd = sys.stdin.fileno() if sys.stdin is not None else -1
    saved = termios.tcgetattr(fd) if fd >= 0 and os.isatty(fd) else None
    try:
        yield
    finally:
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def stream_requests(first, stdin: bool):
    """The request stream of an exec or attach: `first` (carrying start), then stdin chunks and stdin_close."""
    yield first
    if not stdin:
        return
    queue: asyncio.Queue = asyncio.Queue()
    threading.Thread(target=_stdin_chunks, args=(asyncio.get_running_loop(), queue), daemon=True).start()
    request = type(first)
    while (data := await queue.get()) is not None:
        yield request(stdin=data)
    yield request(stdin_close=True)


async def relay_output(responses, address: str, stdout: BinaryIO | None = None) -> int:
    """Write an exec or attach stream's stdout (to `stdout`, else this process's) and stderr as they come;
    returns the exit code."""
    out = sys.stdout.buffer if stdout is None else stdout
    code = 0
    try:
        async for resp in responses:
            kind = resp.WhichOneof("body")
            if kind == "stdout":
                out.write(resp.stdout)
                out.flush()
            elif kind == "stderr":
                sys.stderr.buffer.write(resp.stderr)
                sys.stderr.buffer.flush()
            elif kind == "exit_code":
                code = resp.exit_code
    except grpc.RpcError as e:
        raise rpc_error(e, address) from None
    return code


def warn_no_tty(stdin: bool, tty: bool) -> None:
    """kubectl's SetupTTY: a TTY asked for while stdin is not a terminal."""
    if stdin and tty and not sys.stdin.isatty():
        print("Unable to use a TTY - input is not a terminal or the right kind of file", file=sys.stderr)
