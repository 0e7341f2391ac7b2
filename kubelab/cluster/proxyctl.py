"""The launcher's side of the partition proxy: its config file and its control port.

proxy.json::

    {
      "control": "127.0.0.1:41230",
      "routes": {
        "apiserver": {"listen": "127.0.0.1:41237", "target": "127.0.0.1:41234", "upstream": "redis",
                      "partitioned": false, "mode": "drop"},
        "scheduler": {"listen": "127.0.0.1:41240", "target": "127.0.0.1:41236", "upstream": "apiserver",
                      "partitioned": true, "mode": "drop"}
      }
    }

The file is the truth (a restarted proxy reads it); the control port only tells a running proxy to
re-read it, and answers with what the proxy is actually doing.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from kubelab.cluster.ports import split
from kubelab.cluster.state import write_atomic

__all__ = ["ProxyError", "read_config", "request", "write_config"]

MODES = ("drop", "reject")


class ProxyError(RuntimeError):
    """The proxy did not answer, or answered with an error."""


def read_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {"control": "", "routes": {}}


def write_config(path: Path, config: dict) -> None:
    write_atomic(path, json.dumps(config, indent=2) + "\n")


def request(control: str, command: str, timeout: float = 5.0) -> dict:
    """Send `reload` or `status` to the proxy at control; its JSON answer."""
    host, port = split(control)
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(command.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    except OSError as e:
        raise ProxyError(f"proxy at {control} did not answer {command!r}: {e}") from e
    try:
        reply = json.loads(data.decode())
    except ValueError as e:
        raise ProxyError(f"proxy at {control} sent a garbled answer to {command!r}") from e
    if not reply.get("ok"):
        raise ProxyError(f"proxy at {control}: {reply.get('error', 'unknown error')}")
    return reply


def set_partitioned(config: dict, routes: list[str], partitioned: bool, mode: str = "drop") -> dict:
    """A copy of config with the given routes partitioned (or healed)."""
    if mode not in MODES:
        raise ValueError(f"partition mode {mode!r}: expected one of {', '.join(MODES)}")
    out = {"control": config["control"], "routes": {k: dict(v) for k, v in config["routes"].items()}}
    for name in routes:
        out["routes"][name]["partitioned"] = partitioned
        out["routes"][name]["mode"] = mode
    return out
