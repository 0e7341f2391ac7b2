"""Reaching the API server before a command, and saying why it cannot be reached, as kubectl does
(k8s.io/kubectl `cmd/util/helpers.go` checkErr, and the Go net errors it prints):

    The connection to the server HOST:PORT was refused - did you specify the right host or port?
    Unable to connect to the server: dial tcp HOST:PORT: i/o timeout
    Unable to connect to the server: read tcp LOCAL->HOST:PORT: i/o timeout

The last is a server that accepts the connection but never answers (a paused process: the kernel still
completes TCP handshakes for it). A server that answers with an error (storage unavailable when it has
lost Redis) is reported by the command with the server's own words. Every wait here is bounded.
"""
from __future__ import annotations

import asyncio

from kubelab.cli.errors import CliError, refused

__all__ = ["wait_reachable"]

#: Seconds to find out why a server did not answer (one TCP connection attempt).
DIAGNOSE_TIMEOUT = 2.0


async def wait_reachable(channel, address: str, deadline: float) -> None:
    """Return once the channel to `address` is ready; otherwise raise CliError saying why, after at most
    `deadline` seconds (a restarting server is ridden out meanwhile) plus a short diagnosis."""
    try:
        await asyncio.wait_for(channel.channel_ready(), deadline)
        return
    except TimeoutError:
        pass
    raise CliError(await _why_unreachable(address))


async def _why_unreachable(address: str) -> str:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), DIAGNOSE_TIMEOUT)
    except ConnectionRefusedError:
        return refused(address)
    except TimeoutError:
        return f"Unable to connect to the server: dial tcp {address}: i/o timeout"
    except OSError as e:
        return f"Unable to connect to the server: dial tcp {address}: connect: {(e.strerror or str(e)).lower()}"
    local = writer.get_extra_info("sockname")
    writer.close()
    return f"Unable to connect to the server: read tcp {local[0]}:{local[1]}->{address}: i/o timeout"
