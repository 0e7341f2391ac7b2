"""Free TCP ports on 127.0.0.1, so that several clusters run side by side.

Ports are chosen by the kernel (bind to port 0) while every socket of one batch is held open, so one batch
never repeats a port; a previously recorded port is kept if it is still free, so addresses stay stable
across `kubelab down` / `kubelab up`.

A port is free from the moment the kernel offers it until its process binds it, and the kernel may offer it
to another caller meanwhile (clusters started side by side, parallel test workers). So every port handed
out is leased for LEASE_SECONDS in a machine-wide table (a small JSON file under a lock, beside the address
ranges' table), and leased ports are never handed out again while the lease lasts.

The kernel also gives ports of its ephemeral range (net.ipv4.ip_local_port_range) to every outgoing
connection as its source port, and a listener cannot bind a port a connection holds. So a port chosen in that
range can be taken before its process binds it by any client on the machine (CI: `address already in use` for
an API server started while three test workers made connections). Ports are therefore chosen at random below
the ephemeral range (PORT_FLOOR up to its start), where the kernel hands out nothing by itself; only when a
machine leaves too little room there does the kernel choose.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator

from kubelab.cluster.state import locked_json

__all__ = ["HOST", "LEASES_ENV", "allocate", "is_free", "join", "leases_path", "split"]

HOST = "127.0.0.1"
LEASES_ENV = "KUBELAB_PORT_LEASES_FILE"
LEASE_SECONDS = 300.0  # far longer than any process takes from being given a port to binding it
PORT_FLOOR = 20000  # above the ports well-known services listen on (databases, brokers, dev servers)
MIN_CHOICE = 1000  # fewer ports than this below the ephemeral range: let the kernel choose
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def split(addr: str) -> tuple[str, int]:
    """"host:port" -> (host, port); IPv6 hosts may be bracketed."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"invalid address {addr!r}: expected HOST:PORT")
    return host.strip("[]") or HOST, int(port)


def join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on host:port (bound without SO_REUSEPORT, so a gRPC server counts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def allocate(wanted: dict[str, int | None], fixed: dict[str, int] | None = None, host: str = HOST) -> dict[str, int]:
    """A distinct free port for every key of wanted and fixed.

    A fixed port is kept as it is (its process is running and holds it); a wanted one is kept if it is
    free and not given to another key already, and replaced by a new free port otherwise.
    """
    out: dict[str, int] = dict(fixed or {})
    with contextlib.ExitStack() as held, _leases(leases_path()) as leased:
        for key, port in wanted.items():
            if key in out:
                continue
            if port and port not in out.values() and is_free(port, host):
                out[key] = port
        candidates = choice_range()
        for key in wanted:
            if key in out:
                continue
            port = 0
            while not port or port in out.values() or str(port) in leased:  # kept or leased: take another
                port = _offer(held, host, candidates)
            out[key] = port
        until = time.time() + LEASE_SECONDS
        leased.update({str(out[key]): until for key in wanted})
    return out


def choice_range(path: Path = EPHEMERAL_RANGE) -> range | None:
    """The ports to choose from: PORT_FLOOR up to the kernel's ephemeral range; None (the kernel chooses)
    when that leaves fewer than MIN_CHOICE ports or the range cannot be read."""
    try:
        low = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return range(PORT_FLOOR, low) if low - PORT_FLOOR >= MIN_CHOICE else None


def _offer(held: contextlib.ExitStack, host: str, candidates: range | None) -> int:
    """A port free on host now: a random one of candidates, or the kernel's choice when there are none. The
    kernel's offer (also the fallback when 200 random candidates are all taken) is held open for the batch,
    so it cannot offer it twice."""
    for port in random.sample(candidates, 200) if candidates is not None else ():
        if is_free(port, host):
            return port
    s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    s.bind((host, 0))
    return s.getsockname()[1]


def leases_path() -> Path:
    """The machine-wide lease table: env KUBELAB_PORT_LEASES_FILE, else one per user in the temp dir."""
    return Path(os.environ.get(LEASES_ENV)
                or Path(tempfile.gettempdir()) / f"kubelab-{os.getuid()}" / "port-leases.json")


@contextlib.contextmanager
def _leases(path: Path) -> Iterator[dict[str, float]]:
    """The unexpired leases (port -> until, a Unix time), written back at the end, under the table's lock."""
    with locked_json(path) as table:
        now = time.time()
        for port in [p for p, until in table.items() if until <= now]:
            del table[port]
        yield table
