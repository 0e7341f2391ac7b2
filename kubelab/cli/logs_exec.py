"""`kubelab logs` and `kubelab exec`, like kubectl's: they read the pod from the API server, then talk to
the kubelet of the pod's node (the Node's InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)
over its gRPC service (kubelab.v1.Kubelet).

    kubelab logs POD|pod/POD [-c C] [-f] [-p|--previous] [--tail N] [--since 5m] [--timestamps] [-n NS]
    kubelab exec POD|pod/POD [-c C] [-i] [-t] [-n NS] -- COMMAND [ARG...]

Without -c the container is the one named by the pod's `kubectl.kubernetes.io/default-container`
annotation, else the first (with kubectl's "Defaulted container" note when there are several).
`exec` exits with the command's exit code ("command terminated with exit code N").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import termios
import threading

import grpc

from kubelab.api.v1 import core_pb2, kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli.session import CliError, Session, run_verb

__all__ = ["add_commands", "cmd_logs", "cmd_exec", "kubelet_address", "choose_container", "pod_target",
           "stream_requests", "relay_output", "rpc_error", "terminal_kept", "warn_no_tty"]

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
    port = node.status.daemon_endpoints.kubelet_endpoint.port
    address = next((a.address for a in node.status.addresses if a.type == "InternalIP"), "")
    if not port or not address:
        raise CliError(f'Error from server: node "{node.metadata.name}" does not report its kubelet\'s address')
    return f"{address}:{port}"


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


async def cmd_logs(ctx: Session) -> int:
    args = ctx.args
    pod, container, address = await pod_target(ctx, args.pod, args.container, "logs")
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
                out.write(chunk.data)
                out.flush()
        except grpc.RpcError as e:
            raise rpc_error(e, address) from None
    return 0


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


async def relay_output(responses, address: str) -> int:
    """Write an exec or attach stream's stdout and stderr as they come; returns the exit code."""
    code = 0
    try:
        async for resp in responses:
            kind = resp.WhichOneof("body")
            if kind == "stdout":
                sys.stdout.buffer.write(resp.stdout)
                sys.stdout.buffer.flush()
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


async def cmd_exec(ctx: Session) -> int:
    args = ctx.args
    command = list(args.command)
    if not command:
        raise CliError("error: you must specify at least one command for the container")
    pod, container, address = await pod_target(ctx, args.pod, args.container, "exec")
    if pod.status.phase in ("Succeeded", "Failed"):
        raise CliError(f"error: cannot exec into a container in a completed pod; current phase is "
                       f"{pod.status.phase}")
    warn_no_tty(args.stdin, args.tty)
    start = kubelet_pb2.ExecStart(namespace=pod.metadata.namespace, pod=pod.metadata.name, uid=pod.metadata.uid,
                                  container=container, command=command, stdin=args.stdin)
    with terminal_kept():
        async with grpc.aio.insecure_channel(address) as channel:
            requests = stream_requests(kubelet_pb2.ExecRequest(start=start), args.stdin)
            code = await relay_output(kubelet_pb2_grpc.KubeletStub(channel).Exec(requests), address)
    if code:
        print(f"command terminated with exit code {code}", file=sys.stderr)
    return code


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("logs", help="print a container's logs (like kubectl logs)")
    p.add_argument("pod", metavar="POD", help="the pod (NAME or pod/NAME)")
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    p.add_argument("-f", "--follow", action="store_true", help="keep streaming until the container stops")
    p.add_argument("-p", "--previous", action="store_true", help="the previous, terminated instance")
    p.add_argument("--tail", type=int, default=None, metavar="N", help="only the last N lines")
    p.add_argument("--since", metavar="DURATION", help="only lines newer than this (5s, 2m, 3h)")
    p.add_argument("--timestamps", action="store_true", help="prefix each line with its time")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    p.set_defaults(func=lambda args: run_verb(args, cmd_logs))

    p = subparsers.add_parser("exec", help="run a command in a container (like kubectl exec)")
    p.add_argument("pod", metavar="POD", help="the pod (NAME or pod/NAME)")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                   help="the command and its arguments, after --")
    _exec_flags(p)
    p.set_defaults(func=lambda args: run_verb(split_exec_args(args), cmd_exec))


def _exec_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    p.add_argument("-i", "--stdin", action="store_true", help="pass stdin to the command")
    p.add_argument("-t", "--tty", action="store_true",
                   help="stdin is a terminal (kubelab gives the command no TTY: the terminal stays line-buffered)")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")


def split_exec_args(args: argparse.Namespace) -> argparse.Namespace:
    """argparse hands everything after POD to `command`: flags before `--` still belong to exec."""
    rest = list(args.command)
    if "--" not in rest:
        if rest and rest[0].startswith("-"):
            raise CliError("error: exec [POD] [COMMAND] is not supported: put the command after --, "
                           "as in: kubelab exec POD -- COMMAND")
        return args
    cut = rest.index("--")
    flags = argparse.ArgumentParser(prog="kubelab exec", add_help=False)
    _exec_flags(flags)
    before, unknown = flags.parse_known_args(rest[:cut])
    if unknown:
        raise CliError(f"error: unknown flag: {unknown[0]}")
    for name, value in vars(before).items():
        if value not in (None, False):
            setattr(args, name, value)
    args.command = rest[cut + 1:]
    return args
