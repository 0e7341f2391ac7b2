"""kubelab port-forward, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/portforward/portforward.go).

    kubelab port-forward POD|pod/NAME|deploy/NAME|sts/NAME|svc/NAME [LOCAL:]REMOTE... [--address 127.0.0.1]

kubectl tunnels through the API server and the kubelet into the pod's network namespace; here the
host can reach every pod IP, so each accepted connection is relayed to POD_IP:REMOTE directly. The
messages are kubectl's: `Forwarding from 127.0.0.1:8080 -> 80`, `Handling connection for 8080`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from kubelab.cli import flags
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import resolve_kind

__all__ = ["register", "cmd_port_forward", "parse_ports"]


def parse_ports(specs: list[str]) -> list[tuple[int, int]]:
    """`8080:80`, `80` (same local port), `:80` (a free local port, shown as 0 until bound)."""
    pairs = []
    for spec in specs:
        local, sep, remote = spec.partition(":")
        if not sep:
            local, remote = spec, spec
        try:
            lp, rp = int(local or 0), int(remote)
        except ValueError:
            raise CliError(f'error: error parsing local port \'{local}\': strconv.ParseUint: parsing "{local}": '
                           "invalid syntax") from None
        if not 0 < rp < 65536 or not 0 <= lp < 65536:
            raise CliError(f"error: Port must be in the range 1-65535: {spec}")
        pairs.append((lp, rp))
    if not pairs:
        raise CliError("error: at least 1 PORT is required for port-forward")
    return pairs


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof() if writer.can_write_eof() else writer.close()


async def _relay(ctx: Session, pod_ip: str, local: int, remote: int, client_r, client_w) -> None:
    ctx.out(f"Handling connection for {local}\n")
    try:
        pod_r, pod_w = await asyncio.open_connection(pod_ip, remote)
    except OSError as e:
        ctx.note(f"E0000 portforward.go] error forwarding port {remote} to pod {pod_ip}: {e}")
        client_w.close()
        return
    await asyncio.gather(_pipe(client_r, pod_w), _pipe(pod_r, client_w))
    for w in (client_w, pod_w):
        w.close()


async def _service_target(ctx: Session, name: str, pairs: list[tuple[int, int]]):
    """svc/NAME: the best pod behind the Service, each service port turned into its targetPort
    (a named targetPort looked up in the pod's containers), as kubectl's translateServicePortToTargetPort."""
    from kubelab.cli.cmd.logs import best_first

    svc = await ctx.client.get("Service", name, ctx.namespace)
    selector = ",".join(f"{k}={v}" for k, v in sorted(svc.spec.selector.items()))
    pods, _ = await ctx.client.list("Pod", ctx.namespace, label_selector=selector) if selector else ([], "")
    if not pods:
        raise CliError(f"error: timed out waiting for the condition: no pods found for service/{name}")
    pod = best_first(pods)[0]
    translated = []
    for local, remote in pairs:
        port = next((p for p in svc.spec.ports if p.port == remote), None)
        if port is None:
            raise CliError(f"error: Service {name} does not have a service port {remote}")
        target = port.target_port
        kind = target.WhichOneof("kind")
        if kind == "string_value":
            named = [cp.container_port for c in pod.spec.containers for cp in c.ports if cp.name == target.string_value]
            if not named:
                raise CliError(f"error: Pod '{pod.metadata.name}' does not have a named port "
                               f"'{target.string_value}'")
            target_port = named[0]
        else:
            target_port = int(target.number_value) if kind == "number_value" else remote
        translated.append((local, target_port))
    return pod, translated


async def cmd_port_forward(ctx: Session) -> int:
    from kubelab.cli.cmd.logs import pod_for

    a = ctx.args
    pairs = parse_ports(a.ports)
    kind, sep, name = a.pod.partition("/")
    if sep and resolve_kind(kind).kind == "Service":
        pod, pairs = await _service_target(ctx, name, pairs)
    else:
        pod = await pod_for(ctx, a.pod)
    if pod.status.phase != "Running":
        raise CliError(f"error: unable to forward port because pod is not running. Current status={pod.status.phase}")
    pod_ip = pod.status.pod_ip
    servers = []
    for local, remote in pairs:
        server = await asyncio.start_server(
            lambda r, w, local=local, remote=remote: _relay(ctx, pod_ip, local, remote, r, w), a.address, local)
        bound = server.sockets[0].getsockname()[1]
        ctx.out(f"Forwarding from {a.address}:{bound} -> {remote}\n")
        servers.append(server)
    await asyncio.gather(*(s.serve_forever() for s in servers))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("port-forward", help="forward local ports to a pod (like kubectl port-forward)")
    p.add_argument("pod", metavar="POD|TYPE/NAME", help="the pod, or deploy/NAME, sts/NAME ... (its first pod)")
    p.add_argument("ports", nargs="*", metavar="[LOCAL:]REMOTE", help="e.g. 8080:80")
    p.add_argument("--address", default="127.0.0.1", help="the local address to listen on (default 127.0.0.1)")
    flags.namespace(p)
    p.set_defaults(func=flags.verb(cmd_port_forward))
