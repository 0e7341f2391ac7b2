"""Cluster verbs, like docker compose's, and the coursework's failure verbs.

    kubelab up [-d] [--nodes N] [--replicas COMPONENT=N] [--redis URL] [--timeout S] [--pod-cidr CIDR]
               [--service-cidr CIDR]
    kubelab down [--purge] [--timeout S]
    kubelab ps [--format table|json]                  (alias: status)
    kubelab component-logs NAME [-f] [--tail N] [--path]   (alias: clogs)
    kubelab kill|stop|start|restart|pause|resume NAME
    kubelab partition NAME [--reject]
    kubelab heal [NAME]                               (no NAME: heal every partition)

NAME is what `kubelab ps` lists: redis, proxy, apiserver, scheduler, ..., node-1, node-2, ...
A component's log is `<state-dir>/logs/NAME.log`; `kubelab component-logs NAME -f` follows it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

from kubelab.cluster import procs, registry
from kubelab.cluster.launcher import ClusterError, Launcher, UpOptions, tail
from kubelab.cluster.logs import LogFollower, use_colour
from kubelab.cluster.proxyctl import ProxyError
from kubelab.cluster.state import StateDir
from kubelab.cluster.status import format_table, rows

__all__ = ["ERRORS", "add_commands"]

#: Exceptions main() reports as `error: ...` with exit status 1.
ERRORS = (ClusterError, ProxyError, RuntimeError, OSError)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("up", help="start the cluster (Redis, API server, components, N nodes)")
    p.add_argument("-d", "--detach", action="store_true", help="return once every component is healthy")
    p.add_argument("--nodes", type=int, metavar="N", help="number of nodes (default: as before, else 3)")
    p.add_argument("--redis", metavar="URL", help="use this Redis instead of starting one")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds each start step may take")
    p.add_argument("--replicas", "--scale", action="append", default=[], metavar="COMPONENT=N",
                   help="run N copies of a leader-elected component (scheduler-1..N); on a running cluster "
                   "starts or stops copies, like `docker compose up --scale`")
    p.add_argument("--pod-cidr", metavar="CIDR",
                   help="pod range, a /24 per node (default: as before, else 198.18.0.0/16 or the next free one)")
    p.add_argument("--service-cidr", metavar="CIDR",
                   help="Service range (default: as before, else 198.19.0.0/16 or the next free one)")
    p.set_defaults(func=cmd_up)

    p = subparsers.add_parser("down", help="stop every process of the cluster")
    p.add_argument("--purge", action="store_true", help="also remove the state dir (all data)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL")
    p.set_defaults(func=cmd_down)

    p = subparsers.add_parser("ps", aliases=["status"], help="list the processes: pid, state, health, role")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds a health check may take")
    p.set_defaults(func=cmd_ps)

    p = subparsers.add_parser("component-logs", aliases=["clogs"], help="print a component's log")
    p.add_argument("name", metavar="NAME", help="a name from `kubelab ps`")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    p.add_argument("--path", action="store_true", help="print the log file's path instead")
    p.set_defaults(func=cmd_component_logs)

    verbs = {
        "kill": "SIGKILL a component; it stays down until `start`",
        "stop": "SIGTERM a component (SIGKILL after --timeout)",
        "start": "start a killed or stopped component",
        "restart": "stop, then start a component",
        "pause": "SIGSTOP a component: it keeps its connections but does nothing",
        "resume": "SIGCONT a paused component",
    }
    for verb, text in verbs.items():
        p = subparsers.add_parser(verb, help=text)
        p.add_argument("name", metavar="NAME", help="a name from `kubelab ps`")
        if verb in ("stop", "start", "restart"):
            p.add_argument("--timeout", type=float, default=None, help="seconds to wait (stop: grace period)")
        if verb in ("start", "restart"):
            p.add_argument("--no-wait", action="store_true", help="do not wait until it is SERVING")
        p.set_defaults(func=cmd_process_verb, verb=verb)

    p = subparsers.add_parser("partition", help="cut a component's connection to its upstream at TCP level")
    p.add_argument("name", metavar="NAME", help="a component (its API path), apiserver (its Redis path) or redis")
    p.add_argument("--reject", action="store_true", help="refuse new connections instead of letting them hang")
    p.set_defaults(func=cmd_partition)

    p = subparsers.add_parser("heal", help="undo `partition`")
    p.add_argument("name", metavar="NAME", nargs="?", help="what to heal (default: every partition)")
    p.set_defaults(func=cmd_heal)


def cmd_up(args: argparse.Namespace) -> int:
    if args.nodes is not None and args.nodes < 0:
        raise ClusterError("--nodes must be 0 or more")
    try:
        replicas = registry.parse_replicas(args.replicas)
    except ValueError as e:
        raise ClusterError(str(e)) from None
    opts = UpOptions(nodes=args.nodes, redis_url=args.redis, timeout=args.timeout, replicas=replicas,
                     pod_cidr=args.pod_cidr, service_cidr=args.service_cidr)
    if args.detach:
        Launcher(args.state_dir, say=_say).up(opts)
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
    launcher = Launcher(args.state_dir, say=_say, on_log=follower.add)
    thread = follower.start()
    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell's `&` starts us with it ignored
        signal.signal(sig, _raise_interrupt)
    status = 0
    try:
        launcher.up(opts)
        _say("event=attached hint='Ctrl-C stops the cluster'")
        _watch_exits(sd)
    except KeyboardInterrupt:
        _say("event=stopping")
    except ERRORS as e:
        _say(f"error: {e}")
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
                _say(f"event=exited name={name} pid={rec.pid} hint='kubelab component-logs {name}'")
                reported.add(name)
            elif not dead:
                reported.discard(name)


def cmd_down(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=_say).down(purge=args.purge, grace=args.timeout)
    return 0


def cmd_ps(args: argparse.Namespace) -> int:
    sd = StateDir(args.state_dir)
    if not sd.exists():
        raise ClusterError(f"no cluster in {sd.root} (start one with `kubelab up`)")
    table = rows(sd, timeout=args.timeout)
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in table], indent=2))
    else:
        print(format_table(table))
    return 0


def cmd_component_logs(args: argparse.Namespace) -> int:
    sd = StateDir(args.state_dir)
    path = sd.log_file(args.name)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in sd.logs.glob("*.log"))) or "none"
        raise ClusterError(f"no log for {args.name!r} in {sd.logs} (logs: {known})")
    if args.path:
        print(path)
        return 0
    size = path.stat().st_size
    if args.tail is not None:
        lines = tail(path, args.tail)
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        with open(path, "rb") as f:
            sys.stdout.write(f.read(size).decode(errors="replace"))
    sys.stdout.flush()
    if args.follow:
        follower = LogFollower(sys.stdout, prefix=False)
        follower.add(args.name, path, offset=size)
        follower.run()  # until Ctrl-C
    return 0


def cmd_process_verb(args: argparse.Namespace) -> int:
    launcher = Launcher(args.state_dir, say=_say)
    verb, name = args.verb, args.name
    if verb == "kill":
        launcher.kill(name)
    elif verb == "stop":
        launcher.stop(name, grace=args.timeout or 10.0)
    elif verb == "start":
        launcher.start(name, wait=not args.no_wait, timeout=args.timeout or 60.0)
    elif verb == "restart":
        launcher.restart(name, wait=not args.no_wait, timeout=args.timeout or 60.0)
    elif verb == "pause":
        launcher.pause(name)
    elif verb == "resume":
        launcher.resume(name)
    return 0


def cmd_partition(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=_say).partition(args.name, mode="reject" if args.reject else "drop")
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=_say).heal(args.name)
    return 0
