"""`<state-dir>/kubeconfig`: how kubectl and the client libraries reach the cluster's HTTP API.

Cluster, user and context are all named `kubelab`. The server is plain `http://` on loopback, without
credentials: kubectl sends none over plain HTTP anyway (client-go reads auth only for TLS), and the
Python client's bearer token, if any, is ignored by the API server.
"""
from __future__ import annotations

from pathlib import Path

from kubelab.cluster.state import write_atomic

__all__ = ["NAME", "kubeconfig", "write_kubeconfig"]

NAME = "kubelab"


def kubeconfig(http_address: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": NAME, "cluster": {"server": f"http://{http_address}"}}],
        "users": [{"name": NAME, "user": {}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME, "namespace": namespace}}],
        "current-context": NAME,
    }


def write_kubeconfig(path: Path, http_address: str) -> None:
    import yaml  # here, not with the module: the ui imports the launcher and never writes one
    write_atomic(path, yaml.safe_dump(kubeconfig(http_address), sort_keys=False))
