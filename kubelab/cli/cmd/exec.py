"""kubelab exec: run a command in a container, through the pod's kubelet (kubectl pkg/cmd/exec).

    kubelab exec POD|pod/POD [-c C] [-i] [-t] [-n NS] -- COMMAND [ARG...]

Without -c the container is the one named by the pod's `kubectl.kubernetes.io/default-container`
annotation, else the first. exec exits with the command's exit code ("command terminated with exit code N").
The streams are kubelab.cli.kubelet's.
"""

from __future__ import annotations

import argparse
import sys

import grpc

from kubelab.api.v1 import kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli import flags
from kubelab.cli.kubelet import pod_target, relay_output, stream_requests, terminal_kept, warn_no_tty
from kubelab.cli.session import CliError, Session

__all__ = ["register", "cmd_exec", "split_exec_args"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("exec", help="run a command in a container (like kubectl exec)")
    p.add_argument("pod", metavar="POD", help="the pod (NAME or pod/NAME)")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                   help="the command and its arguments, after --")
    _exec_flags(p)
    p.set_defaults(func=lambda args: flags.verb(cmd_exec)(split_exec_args(args)))


def _exec_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    p.add_argument("-i", "--stdin", action="store_true", help="pass stdin to the command")
    p.add_argument("-t", "--tty", action="store_true",
                   help="stdin is a terminal (kubelab gives the command no TTY: the terminal stays line-buffered)")
    flags.namespace(p)


def split_exec_args(args: argparse.Namespace) -> argparse.Namespace:
    """argparse hands everything after POD to `command`: flags before `--` still belong to exec."""
    rest = list(args.command)
    if "--" not in rest:
        if rest and rest[0].startswith("-"):
            raise CliError("error: exec [POD] [COMMAND] is not supported: put the command after --, "
                           "as in: kubelab exec POD -- COMMAND")
        return args
    cut = rest.index("--")
    parser = argparse.ArgumentParser(prog="kubelab exec", add_help=False)
    _exec_flags(parser)
    before, unknown = parser.parse_known_args(rest[:cut])
    if unknown:
        raise CliError(f"error: unknown flag: {unknown[0]}")
    for name, value in vars(before).items():
        if value not in (None, False):
            setattr(args, name, value)
    args.command = rest[cut + 1:]
    return args


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
