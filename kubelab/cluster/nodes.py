"""Taking nodes out of a cluster for `kubelab up --nodes N` with fewer nodes than it has, as an administrator
(or a managed node pool's resize) does it: cordon the node, evict its pods, and once its kubelet is stopped,
delete the Node and its heartbeat Lease, so that nothing is left NotReady forever.

Eviction is a graceful delete that the node's kubelet confirms (`drain_nodes`, while it still runs); pods
on a node whose kubelet no longer runs (the cluster was down) are deleted at once (`forget_nodes`), as
the pod garbage collector does for pods bound to a node that is gone. Controllers recreate their pods
elsewhere; a bare pod is gone for good, as with `kubectl drain --force`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from kubelab.client import ApiError, Client
from kubelab.errors import is_not_found, is_precondition_failed

__all__ = ["drain_nodes", "forget_nodes"]

NODE_LEASE_NAMESPACE = "kube-node-lease"


def drain_nodes(addr: str, names: list[str], timeout: float, say: Callable[[str], None]) -> list[str]:
    """Cordon each node and evict its pods; the pods not gone within timeout (they are then deleted)."""
    return asyncio.run(_drain(addr, names, timeout, say))


def forget_nodes(addr: str, names: list[str], say: Callable[[str], None]) -> None:
    """Delete the nodes' remaining pods at once, then the Nodes and their Leases (their kubelets are gone)."""
    asyncio.run(_forget(addr, names, say))


async def _drain(addr: str, names: list[str], timeout: float, say) -> list[str]:
    async with Client(addr, retry_deadline=timeout) as client:
        pods = []
        for name in names:
            if await _cordon(client, name):
                say(f"event=cordoned node={name}")
            node_pods, _ = await client.list("Pod", field_selector=f"spec.nodeName={name}")
            pods += node_pods
        for pod in pods:
            say(f"event=evicting pod={pod.metadata.namespace}/{pod.metadata.name} node={pod.spec.node_name}")
            await _delete(client, pod, grace=None)
        left = await _wait_gone(client, pods, time.monotonic() + timeout)
        for pod in left:
            await _delete(client, pod, grace=0)
        return [f"{p.metadata.namespace}/{p.metadata.name}" for p in left]


async def _forget(addr: str, names: list[str], say) -> None:
    async with Client(addr, retry_deadline=30) as client:
        for name in names:
            pods, _ = await client.list("Pod", field_selector=f"spec.nodeName={name}")
            for pod in pods:
                await _delete(client, pod, grace=0)
            for kind, ns in (("Node", ""), ("Lease", NODE_LEASE_NAMESPACE)):
                try:
                    await client.delete(kind, name, ns)
                except ApiError as e:
                    if not is_not_found(e):
                        raise
            say(f"event=removed node={name} pods_deleted={len(pods)}")


async def _cordon(client: Client, name: str) -> bool:
    try:
        await client.patch("Node", name, {"spec": {"unschedulable": True}})
    except ApiError as e:
        if not is_not_found(e):
            raise
        return False
    return True


async def _delete(client: Client, pod, grace: int | None) -> None:
    try:
        await client.delete("Pod", pod.metadata.name, pod.metadata.namespace, grace_period_seconds=grace,
                            uid=pod.metadata.uid)
    except ApiError as e:
        if not (is_not_found(e) or is_precondition_failed(e)):  # gone, or a new pod by that name
            raise


async def _wait_gone(client: Client, pods: list, deadline: float) -> list:
    """Wait until every pod is gone (the kubelet confirmed); those still there at the deadline."""
    while True:
        left = []
        for pod in pods:
            try:
                current = await client.get("Pod", pod.metadata.name, pod.metadata.namespace)
            except ApiError as e:
                if not is_not_found(e):
                    raise
                continue
            if current.metadata.uid == pod.metadata.uid:
                left.append(pod)
        if not left or time.monotonic() > deadline:
            return left
        pods = left
        await asyncio.sleep(0.2)
