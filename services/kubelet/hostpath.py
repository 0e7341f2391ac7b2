"""Node paths inside the node root, and hostPath's `type` checks.

A hostPath (or a PV's hostPath/local path) `/mnt/data` on node-2 is `<cluster-dir>/nodes/node-2/mnt/data`.
`secure_join` resolves the path as if the node root were `/`: `..` stops at the root and symlinks are
followed inside it (an absolute link target is taken from the node root), so nothing a pod names can
reach outside its node (what filepath-securejoin does for Kubernetes' subPath).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["secure_join", "check_host_path", "HostPathError", "HOST_PATH_TYPES"]

MAX_SYMLINKS = 255
HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                   "BlockDevice")


class HostPathError(Exception):
    """A hostPath that fails its type check (Kubernetes' wording), or that cannot be created."""


def secure_join(root: Path, path: str) -> Path:
    """root/path with `..` and symlinks resolved without leaving root (missing parts kept as written)."""
    root = Path(os.path.abspath(root))
    todo = [p for p in path.split("/") if p]
    parts: list[str] = []
    links = 0
    while todo:
        part = todo.pop(0)
        if part == ".":
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        candidate = root.joinpath(*parts, part)
        if candidate.is_symlink():
            links += 1
            if links > MAX_SYMLINKS:
                raise HostPathError(f"too many levels of symbolic links: {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                parts = []
            todo = [p for p in target.split("/") if p] + todo
            continue
        parts.append(part)
    return root.joinpath(*parts)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "Directory"), (stat.S_ISREG, "File"), (stat.S_ISSOCK, "Socket"),
                       (stat.S_ISCHR, "CharDevice"), (stat.S_ISBLK, "BlockDevice")):
        if test(mode):
            return name
    return "other"


_NOT = {"Directory": "a directory", "File": "a file", "Socket": "a socket", "CharDevice": "a character device",
        "BlockDevice": "a block device"}


def check_host_path(host: Path, shown: str, type_: str) -> None:
    """Create or check `host` (shown to users as the node path `shown`) for hostPath's `type`.

    An unset type creates a missing path as a directory, as Docker's bind mounts did, so manifests
    written for kind or minikube work unchanged.
    """
    if type_ not in HOST_PATH_TYPES:
        raise HostPathError(f"hostPath type {type_!r} is not supported; supported: "
                            + ", ".join(t for t in HOST_PATH_TYPES if t))
    try:
        mode = host.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is None:
        if type_ in ("", "DirectoryOrCreate"):
            host.mkdir(mode=0o755, parents=True, exist_ok=True)
            return
        if type_ == "FileOrCreate":
            if not host.parent.is_dir():
                raise HostPathError(f"hostPath type check failed: {shown} is not a file "
                                    f"(its directory {os.path.dirname(shown) or '/'} does not exist)")
            host.touch(mode=0o644)
            return
        raise HostPathError(f"hostPath type check failed: {shown} is not {_NOT[type_]}")
    kind = _kind(mode)
    wanted = {"DirectoryOrCreate": "Directory", "FileOrCreate": "File"}.get(type_, type_)
    if wanted and kind != wanted:
        raise HostPathError(f"hostPath type check failed: {shown} is not {_NOT[wanted]}")
