"""The `nft` command, and the one nftables table a cluster's service proxy owns.

The proxy (services/proxy) writes its rules into `table ip kubelab-<cluster id>`; `kubelab down` and
`python -m services.proxy --cleanup` remove it. Both go through here, so the name lives once.
"""
from __future__ import annotations

import json
import shutil
import subprocess

__all__ = ["NftError", "FAMILY", "table_name", "available", "run", "list_table", "delete_table"]

FAMILY = "ip"


class NftError(RuntimeError):
    """`nft` failed; the message is nft's own."""


def table_name(cluster_id: str) -> str:
    """`kubelab-<cluster id>`: one table per cluster, so clusters side by side never touch each other's."""
    return f"kubelab-{cluster_id}"


def run(args: list[str], stdin: str | None = None, timeout: float = 30.0) -> str:
    """`nft ARGS` (with `-f -` reading stdin), its output; NftError if it fails."""
    exe = shutil.which("nft")
    if exe is None:
        raise NftError("nft: command not found")
    proc = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise NftError(proc.stderr.strip() or f"nft {' '.join(args)}: exit status {proc.returncode}")
    return proc.stdout


def available() -> str:
    """"" if this process may program nftables, else why not (nft missing, not permitted)."""
    try:
        run(["list", "tables"], timeout=10)
    except (NftError, OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return ""


def list_table(table: str) -> list[dict]:
    """The objects of `table` as `nft -j` gives them ([] if there is no such table)."""
    try:
        out = run(["-j", "list", "table", FAMILY, table])
    except NftError as e:
        if "No such file or directory" in str(e):
            return []
        raise
    return [item for item in json.loads(out).get("nftables", []) if "metainfo" not in item]


def delete_table(table: str) -> bool:
    """Remove `table` if it exists; True if it did."""
    try:
        run(["delete", "table", FAMILY, table])
    except NftError as e:
        if "No such file or directory" in str(e):
            return False
        raise
    return True
