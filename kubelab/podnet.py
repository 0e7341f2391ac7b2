"""The kernel objects of a cluster's pod network: their names, the `ip` command that makes them, and the
sweep that removes them all (`kubelab down`, the kubelet's `--kill-containers`).

What the kubelet creates per node and per pod (docs/pod-network.md), as a CNI bridge plugin does:

    bridge    kl<id>-br<N>                 node-N's bridge, holding the gateway (.1 of its podCIDR)
    netns     kl<id>-<node>-<pod uid>      the pod's network namespace (/run/netns/...)
    veth      kl<id><5 hex>                the host end; the pod end is `eth0` in the pod's namespace

`<id>` is `kubelab.network.cluster_id(state dir)`: every object of one cluster starts with `kl<id>`, so
clusters side by side never touch each other's and one prefix finds all of a cluster's. Interface names
must fit Linux's 15 characters; the veth's 5 hex digits are the low 20 bits of the pod IP, unique within
a pod range of /12 or smaller (the launcher accepts no larger one).

Routes are those the kernel makes for the bridges' addresses (locally) or the kubelet's host-gw routes
inside a compose node container (gone with it); both disappear with their links.
"""
from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["IpError", "NETNS_DIR", "bridge_name", "gateway", "netns_name", "netns_path", "veth_name", "ip",
           "ip_json", "require_ip", "cluster_links", "cluster_namespaces", "remove_cluster_network",
           "write_sysctl"]

NETNS_DIR = Path("/run/netns")
PREFIX = "kl"
_NODE_NUMBER = re.compile(r"-(\d+)$")


class IpError(RuntimeError):
    """`ip` is missing, not permitted, or refused a command; the message says which and what to do."""


def bridge_name(cluster: str, node: str) -> str:
    """`kl<id>-br<N>` for node-N (N < 100); another name gets two letters from its hash instead of N
    (letters, so that they never read as another node's number)."""
    m = _NODE_NUMBER.search(node)
    if m and len(m.group(1)) <= 2:
        return f"{PREFIX}{cluster}-br{m.group(1)}"
    h = int(_short_hash(node, 4), 16)
    letters = "ghijklmnopqrstuvwxyz"
    return f"{PREFIX}{cluster}-br{letters[h % 20]}{letters[h // 20 % 20]}"


def netns_name(cluster: str, node: str, uid: str) -> str:
    return f"{PREFIX}{cluster}-{node}-{uid}"


def netns_path(name: str) -> str:
    return str(NETNS_DIR / name)


def veth_name(cluster: str, pod_ip: str) -> str:
    """The host end of a pod's veth pair: `kl<id>` and the low 20 bits of the pod IP in hex."""
    return f"{PREFIX}{cluster}{int(ipaddress.ip_address(pod_ip)) & 0xFFFFF:05x}"


def gateway(pod_cidr: str) -> str:
    """The bridge's address, the pods' default gateway: the first host address of the node's podCIDR."""
    return str(ipaddress.ip_network(pod_cidr, strict=False).network_address + 1)


def _short_hash(text: str, n: int) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def require_ip() -> str:
    """The path of `ip`; IpError saying how to install it when it is missing."""
    found = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip") if Path(p).exists()), None)
    if found is None:
        raise IpError("the `ip` command (iproute2) is missing: pod networks need it; run "
                      "scripts/install-system-packages (or apt-get install iproute2)")
    return found


def ip(*args: str, batch: list[str] | None = None, netns: str = "", check: bool = True) -> str:
    """Run `ip [-n NETNS] ARGS` (or a `-batch -` of lines); stdout. Raises IpError with ip's own words."""
    argv = [require_ip()] + (["-n", netns] if netns else []) + (["-batch", "-"] if batch is not None else list(args))
    res = subprocess.run(argv, input="\n".join(batch or []) + "\n" if batch is not None else None,
                         capture_output=True, text=True)
    if res.returncode != 0 and check:
        err = res.stderr.strip()
        hint = " (pod networks need root, or CAP_NET_ADMIN and CAP_SYS_ADMIN)" if (
            "not permitted" in err or "denied" in err) else ""
        what = " ; ".join(batch) if batch is not None else " ".join(args)
        raise IpError(f"ip {'-n ' + netns + ' ' if netns else ''}{what}: {err}{hint}")
    return res.stdout


def ip_json(*args: str, netns: str = "") -> list[dict]:
    out = ip("-j", *args, netns=netns)
    return json.loads(out) if out.strip() else []


def write_sysctl(key: str, value: str) -> None:
    """Write /proc/sys/<key> (dots as slashes) in this process's network namespace."""
    Path("/proc/sys", key.replace(".", "/")).write_text(value)


def cluster_links(cluster: str) -> list[str]:
    """The cluster's bridges and host-side veths in this network namespace (from /sys, no `ip` call)."""
    try:
        return sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name.startswith(PREFIX + cluster))
    except OSError:
        return []


def cluster_namespaces(cluster: str, node: str = "") -> list[str]:
    prefix = f"{PREFIX}{cluster}-" + (f"{node}-" if node else "")
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))
    except OSError:
        return []


def remove_cluster_network(cluster: str, node: str = "") -> list[str]:
    """Delete the cluster's (or one node's) pod namespaces, then its veths and bridges; what was removed.

    Deleting a namespace takes the pod end of its veth, and so the pair, with it; a veth left over (a pod
    whose namespace was already gone) and the bridges go by name. Routes go with their links.
    """
    removed = []
    for name in cluster_namespaces(cluster, node):
        ip("netns", "delete", name, check=False)
        removed.append(name)
    links = cluster_links(cluster)
    if node:
        bridge = bridge_name(cluster, node)
        links = [bridge] if bridge in links else []
    for link in links:
        ip("link", "delete", link, check=False)
        removed.append(link)
    return removed
