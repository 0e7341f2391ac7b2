"""Free TCP ports on 127.0.0.1, so that several clusters run side by side.

Ports are chosen by the kernel (bind to port 0) while every socket of one batch is held open, so one batch
never repeats a port; a previously recorded port is kept if it is still free, so addresses stay stable
across `kubelab down` / `kubelab up`.

A port is free from the moment the kernel offers it until its process binds it, and the kernel may offer it
to another caller meanwhile (clusters started side by side, parallel test workers). So every port handed
out is leased for LEASE_SECONDS in a machine-wide table (a small JSON file under a lock, beside the address
ranges' table), and the kernel's offers of leased ports are refused.
"""

from __future__ import annotations

import contextlib
import os
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
        for key in wanted:
            if key in out:
                continue
            port = 0
            while not port or port in out.values() or str(port) in leased:  # kept or leased: take another
                s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                s.bind((host, 0))
                port = s.getsockname()[1]
            out[key] = port
        until = time.time() + LEASE_SECONDS
        leased.update({str(out[key]): until for key in wanted})
    return out


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
