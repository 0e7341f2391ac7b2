"""Free TCP ports on 127.0.0.1, so that several clusters run side by side.

Ports are chosen by the kernel (bind to port 0) while every socket of one batch is held open, so one batch
never repeats a port; a previously recorded port is kept if it is still free, so addresses stay stable
across `kubelab down` / `kubelab up`.
"""

from __future__ import annotations

import contextlib
import socket

__all__ = ["HOST", "allocate", "is_free", "join", "split"]

HOST = "127.0.0.1"


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
    with contextlib.ExitStack() as held:
        for key, port in wanted.items():
            if key in out:
                continue
            if port and port not in out.values() and is_free(port, host):
                out[key] = port
        for key in wanted:
            if key in out:
                continue
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind((host, 0))
            port = s.getsockname()[1]
            while port in out.values():  # a kept port the kernel also offered: take another
                s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                s.bind((host, 0))
                port = s.getsockname()[1]
            out[key] = port
    return out
