"""kubelab up: start the cluster (Redis, the API server, the components, N nodes), like docker compose up.

    kubelab up [-d] [--nodes N] [--replicas COMPONENT=N] [--apiserver-workers N] [--redis URL] [--timeout S]
               [--pod-cidr CIDR] [--service-cidr CIDR]

Without -d it stays in the foreground, showing every component's log lines with a prefix, and stops the
cluster on Ctrl-C. The launcher (kubelab.cluster.launcher) does the work.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from kubelab.cluster import procs, registry
from kubelab.cluster.launcher import ClusterError, Launcher, UpOptions
from kubelab.cluster.logs import LogFollower, use_colour
from kubelab.cluster.state import StateDir

from kubelab.cli.cmd import say

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("up", help="start the cluster (Redis, API server, components, N nodes)")
    p.add_argument("-d", "--detach", action="store_true", help="return once every component is healthy")
    p.add_argument("--nodes", type=int, metavar="N", help="number of nodes (default: as before, else 3)")
    p.add_argument("--redis", metavar="URL", help="use this Redis instead of starting one")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds each start step may take")
    p.add_argument("--replicas", "--scale", action="append", default=[], metavar="COMPONENT=N",
                   help="run N copies of a leader-elected component (scheduler-1..N); on a running cluster "
                   "starts or stops copies, like `docker compose up --scale`")
    p.add_argument("--apiserver-workers", type=int, metavar="N",
                   help="API server processes sharing its address, each with its own watch cache, for more "
                   "cores (default: as before, else 1); a running API server takes it at its next start")
    p.add_argument("--pod-cidr", metavar="CIDR",
                   help="pod range, a /24 per node (default: as before, else 198.18.0.0/16 or the next free one)")
    p.add_argument("--service-cidr", metavar="CIDR",
                   help="Service range (default: as before, else 198.19.0.0/16 or the next free one)")
    p.set_defaults(func=cmd_up)


def cmd_up(args: argparse.Namespace) -> int:
    if args.nodes is not None and args.nodes < 0:
        raise ClusterError("--nodes must be 0 or more")
    most = registry.MAX_APISERVER_WORKERS
    if args.apiserver_workers is not None and not 1 <= args.apiserver_workers <= most:
        raise ClusterError(f"--apiserver-workers: Invalid value: {args.apiserver_workers}: must be between 1 "
                           f"and {most}")
    try:
        replicas = registry.parse_replicas(args.replicas)
    except ValueError as e:
        raise ClusterError(str(e)) from None
    opts = UpOptions(nodes=args.nodes, redis_url=args.redis, timeout=args.timeout, replicas=replicas,
                     apiserver_workers=args.apiserver_workers, pod_cidr=args.pod_cidr, service_cidr=args.service_cidr)
    if args.detach:
        Launcher(args.state_dir, say=say).up(opts)
        return 0
    return _up_foreground(args, opts)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _up_foreground(args: argparse.Namespace, opts: UpOptions) -> int:
    """Start, show every component's log lines with a prefix, and stop everything on Ctrl-C/SIGTERM."""
    sd = StateDir(args.state_dir)
    width = max(len(i.name) for i in registry.instances(opts.nodes or 3))
    follower = LogFollower(sys.stdout, colour=use_colour(sys.stdout), width=width)
    for name in sd.load().processes:
        follower.add(name, sd.log_file(name))
    launcher = Launcher(args.state_dir, say=say, on_log=follower.add)
    thread = follower.start()
    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell's `&` starts us with it ignored
        signal.signal(sig, _raise_interrupt)
    status = 0
    try:
        launcher.up(opts)
        say("event=attached hint='Ctrl-C stops the cluster'")
        _watch_exits(sd)
    except KeyboardInterrupt:
        say("event=stopping")
    except (RuntimeError, OSError) as e:  # ClusterError, ProxyError
        say(f"error: {e}")
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        launcher.down()
        follower.stop.set()
        thread.join()
    return status


def _watch_exits(sd: StateDir) -> None:
    """Until interrupted: reap exited children and say when a component died on its own."""
    reported: set[str] = set()
    while True:
        time.sleep(1)
        procs.reap()
        for name, rec in sd.load().processes.items():
            dead = not procs.is_alive(rec.pid, rec.start_time)
            if dead and rec.desired == "running" and name not in reported:
                say(f"event=exited name={name} pid={rec.pid} hint='kubelab component-logs {name}'")
                reported.add(name)
            elif not dead:
                reported.discard(name)
