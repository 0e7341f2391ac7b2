"""kubelab port-forward, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/portforward/portforward.go).

    kubelab port-forward POD|pod/NAME|deploy/NAME|sts/NAME [LOCAL:]REMOTE... [--address 127.0.0.1]

kubectl tunnels through the API server and the kubelet into the pod's network namespace; here the
host can reach every pod IP, so each accepted connection is relayed to POD_IP:REMOTE directly. The
messages are kubectl's: `Forwarding from 127.0.0.1:8080 -> 80`, `Handling connection for 8080`.
"""

from __future__ import annotations

import asyncio
import contextlib

from kubelab.cli.session import CliError, Session

__all__ = ["cmd_port_forward", "parse_ports"]


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


async def cmd_port_forward(ctx: Session) -> int:
    from kubelab.cli.logs_select import pod_for

    a = ctx.args
    pairs = parse_ports(a.ports)
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
