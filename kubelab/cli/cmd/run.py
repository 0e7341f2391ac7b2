"""kubelab run: a bare Pod from the command line, as kubectl's `pkg/cmd/run/run.go` makes it.

    kubelab run NAME --image IMG [--env K=V]... [--labels k=v,...] [--port N] [--restart Always|OnFailure|Never]
                [-i] [-t] [--attach] [--rm] [-q] [--command] [--pod-running-timeout 1m] [-- COMMAND|ARG...]

Without -i (or --attach) it prints `pod/NAME created`. With -i it waits for the pod to run, attaches to
its container (the kubelet's Attach: output from the container's start, as kubectl prints the logs
written before it attached, then the live output; stdin goes to the container), then with
--restart=Never or OnFailure waits for the pod to finish and exits with the container's exit code; --rm
deletes the pod at the end (`pod "NAME" deleted`). kubelab has no TTYs: -t is accepted, and only brings
kubectl's `Unable to use a TTY - input is not a terminal ...` warning when stdin is not a terminal.

`parse_run` and `new_pod` are pure (kubectl's Complete, Validate and createPod); `cmd_run` does the I/O.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field

import grpc

from kubelab.api.v1 import core_pb2, kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli import dry_run, flags
from kubelab.cli.cmd.wait import wait_until
from kubelab.cli.durations import parse_duration
from kubelab.cli.kubelet import pod_target, relay_output, stream_requests, terminal_kept, warn_no_tty
from kubelab.cli.session import CliError, Session
from kubelab.errors import ApiError, is_not_found
from kubelab.manifest import to_dict
from kubelab.validation_names import is_env_var_name

__all__ = ["RunOptions", "parse_run", "new_pod", "cmd_run", "register"]

RESTART_POLICIES = ("Always", "OnFailure", "Never")


@dataclass(frozen=True)
class RunOptions:
    name: str
    image: str
    arguments: list[str] = field(default_factory=list)
    command: bool = False
    """The arguments replace the image's command instead of its args."""
    env: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    restart: str = "Always"
    stdin: bool = False
    tty: bool = False
    attach: bool = False
    remove: bool = False
    leave_stdin_open: bool = False
    timeout: float = 60.0


class RunParser(argparse.ArgumentParser):
    """Splits at the first `--` before parsing, so that what follows stays the container's command
    (`run NAME -- sh -c x`); positional words are collected in order (`positional`, with kubectl's
    `args_at_dash`: how many came before `--`), unknown flags in `unknown_flags`."""

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        cut = args.index("--") if "--" in args else len(args)
        ns, extras = super().parse_known_args(args[:cut], namespace)
        ns.positional = [e for e in extras if not e.startswith("-")]
        ns.args_at_dash = len(ns.positional) if cut < len(args) else None
        ns.positional += args[cut + 1:]
        ns.unknown_flags = [e for e in extras if e.startswith("-")]
        return ns, []


def parse_labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for spec in filter(None, text.split(",")) if text else ():
        parts = spec.split("=")
        if len(parts) != 2:
            raise CliError(f"error: unexpected label spec: {spec}")
        if not parts[0]:
            raise CliError("error: unexpected empty label key")
        labels[parts[0]] = parts[1]
    return labels


def parse_envs(pairs: list[str]) -> list[tuple[str, str]]:
    """K=V pairs (kubectl's parseEnvs)."""
    envs = []
    for pair in pairs:
        name, found, value = pair.partition("=")
        if not found or not name or is_env_var_name(name):
            raise CliError(f"error: invalid env: {pair}")
        envs.append((name, value))
    return envs


def parse_run(args: argparse.Namespace) -> RunOptions:
    """kubectl's Complete and Validate, with its messages and in its order."""
    if args.unknown_flags:
        raise CliError(f"error: unknown flag: {args.unknown_flags[0]}")
    if not args.image:
        raise CliError('error: required flag(s) "image" not set')
    labels, env = parse_labels(args.labels or ""), parse_envs(args.env or [])
    restart = args.restart or "Always"
    if restart not in RESTART_POLICIES:
        raise CliError(f"error: invalid restart policy: {restart}, valid values are: Always, OnFailure, Never")
    timeout = parse_duration(args.pod_running_timeout)
    if timeout <= 0:
        raise CliError("error: --pod-running-timeout must be higher than zero")
    attach = args.attach if args.attach is not None else args.stdin
    if not args.positional or args.args_at_dash == 0:
        raise CliError("error: NAME is required for run")
    if args.tty and not args.stdin:
        raise CliError("error: -i/--stdin is required for containers with -t/--tty=true")
    if args.port is not None and not args.port.isdigit():
        raise CliError("error: --port must be a number")
    if not attach and args.rm:
        raise CliError("error: --rm should only be used for attached containers")
    return RunOptions(name=args.positional[0], image=args.image, arguments=args.positional[1:],
                      command=args.command, env=env, labels=labels,
                      port=int(args.port) if args.port is not None else None, restart=restart, stdin=args.stdin,
                      tty=args.tty, attach=attach, remove=args.rm, leave_stdin_open=args.leave_stdin_open,
                      timeout=timeout)


def new_pod(opts: RunOptions) -> core_pb2.Pod:
    """kubectl's createPod: one container named like the pod, labels `run: NAME` unless given."""
    pod = core_pb2.Pod()
    pod.metadata.name = opts.name
    pod.metadata.labels.update(opts.labels or {"run": opts.name})
    c = pod.spec.containers.add(name=opts.name, image=opts.image, stdin=opts.stdin,
                                stdin_once=opts.stdin and not opts.leave_stdin_open, tty=opts.tty)
    for name, value in opts.env:
        c.env.add(name=name, value=value)
    (c.command if opts.command else c.args).extend(opts.arguments)
    if opts.port is not None:
        c.ports.add(container_port=opts.port)
    pod.spec.dns_policy = "ClusterFirst"
    pod.spec.restart_policy = opts.restart
    return pod


def _completed(pod: core_pb2.Pod) -> bool:
    return pod.status.phase in ("Succeeded", "Failed")


def _running_and_ready(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Running" and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


async def _wait_for_pod(ctx: Session, name: str, timeout: float, met) -> core_pb2.Pod:
    """kubectl's waitForPod: the pod once met(pod); a deleted pod is NotFound."""
    def check(pod):
        return pod is None or met(pod)
    try:
        pod = await asyncio.wait_for(wait_until(ctx.client, "Pod", ctx.namespace, name, check), timeout)
    except asyncio.TimeoutError:
        raise CliError("error: timed out waiting for the condition") from None
    if pod is None:
        raise CliError(f'Error from server (NotFound): pods "{name}" not found')
    return pod


async def _attach(ctx: Session, opts: RunOptions) -> None:
    """Wait until the pod runs (or already finished), then stream its container from the start."""
    pod = await _wait_for_pod(ctx, opts.name, opts.timeout, lambda p: _running_and_ready(p) or _completed(p))
    if not _completed(pod):  # kubectl attaches (SetupTTY) to a running pod, and prints the logs of a finished one
        warn_no_tty(opts.stdin, opts.tty)
    pod, container, address = await pod_target(ctx, opts.name, opts.name, "attach")
    start = kubelet_pb2.AttachStart(namespace=pod.metadata.namespace, pod=pod.metadata.name,
                                    uid=pod.metadata.uid, container=container, stdin=opts.stdin,
                                    from_start=True)
    with terminal_kept():
        async with grpc.aio.insecure_channel(address) as channel:
            requests = stream_requests(kubelet_pb2.AttachRequest(start=start), opts.stdin)
            await relay_output(kubelet_pb2_grpc.KubeletStub(channel).Attach(requests), address)


async def _exit_code(ctx: Session, opts: RunOptions) -> int:
    """With Never or OnFailure: wait for the pod to finish; its container's exit code (kubectl's rules)."""
    if opts.leave_stdin_open or opts.restart == "Always":
        return 0
    done = _completed if opts.restart == "Never" else (lambda p: p.status.phase == "Succeeded")
    pod = await _wait_for_pod(ctx, opts.name, opts.timeout, done)
    ns, name = pod.metadata.namespace, pod.metadata.name
    if pod.status.phase == "Succeeded":
        return 0
    statuses = pod.status.container_statuses
    term = statuses[0].state.terminated if statuses and statuses[0].state.HasField("terminated") else None
    if term is None or term.exit_code == 0:
        raise CliError(f"error: pod {ns}/{name} failed with unknown exit code")
    text = f"pod {ns}/{name} terminated ({term.reason})\n{term.message}"
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    return term.exit_code


async def _remove(ctx: Session, name: str) -> None:
    """--rm: delete the pod, ignoring one already gone, without waiting (kubectl's DeleteOptions)."""
    try:
        await ctx.client.delete("Pod", name, ctx.namespace)
    except ApiError as e:
        if not is_not_found(e):
            raise
        return
    ctx.out(f'pod "{name}" deleted\n')


async def cmd_run(ctx: Session) -> int:
    opts = parse_run(ctx.args)
    dry_run.check(ctx)
    if dry_run.mode(ctx) != "none":  # kubectl: a dry run never attaches
        pod = new_pod(opts)
        dry_run.report(ctx, await dry_run.create(ctx, to_dict(pod), ctx.namespace), "created")
        return 0
    created = await ctx.client.create(new_pod(opts), ctx.namespace)
    if not opts.attach:
        ctx.out(f"pod/{created.metadata.name} created\n")
        return 0
    try:
        await _attach(ctx, opts)
        return await _exit_code(ctx, opts)
    finally:
        if opts.remove:
            await _remove(ctx, opts.name)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser_class, subparsers._parser_class = subparsers._parser_class, RunParser
    try:
        p = subparsers.add_parser("run", help="run a bare pod from an image (like kubectl run)",
                                  usage="kubelab run NAME --image IMAGE [flags] [-- COMMAND|ARG...]")
    finally:
        subparsers._parser_class = parser_class
    p.add_argument("--image", help="the container's image (built-in images: nginx, kubelab/kvstore, ...; "
                   "any other runs its command on the node's userland)")
    p.add_argument("--env", action="append", metavar="K=V", help="an environment variable (repeatable)")
    p.add_argument("-l", "--labels", metavar="k=v,...", help="the pod's labels (default run=NAME)")
    p.add_argument("--port", metavar="N", help="the port the container exposes")
    p.add_argument("--restart", default="Always", help="Always, OnFailure or Never (default Always)")
    p.add_argument("-i", "--stdin", action="store_true", help="keep stdin open on the container and attach")
    p.add_argument("-t", "--tty", action="store_true", help="accepted for kubectl's sake; kubelab has no TTYs")
    p.add_argument("--attach", action=argparse.BooleanOptionalAction, default=None,
                   help="wait for the pod to run and attach to it (default: with -i)")
    p.add_argument("--rm", action="store_true", help="delete the pod after it exits (attached runs only)")
    p.add_argument("--leave-stdin-open", action="store_true", help="keep the container's stdin open after "
                   "the first attach ends")
    p.add_argument("--command", action="store_true", help="the arguments are the command, not the image's args")
    p.add_argument("-q", "--quiet", action="store_true", help="suppress prompt messages")
    p.add_argument("--pod-running-timeout", default="1m0s", metavar="DURATION",
                   help="how long to wait for the pod to run (default 1m0s)")
    flags.namespace(p)
    p.add_argument("--dry-run", nargs="?", const="client", default="none", metavar="none|client|server",
                   help="only show the pod: client (nothing sent) or server (validated, not stored)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="with --dry-run: yaml, json, name or jsonpath=...")
    p.set_defaults(func=flags.verb(cmd_run))
