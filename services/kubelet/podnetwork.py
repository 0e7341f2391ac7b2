"""The node's pod network, as a CNI bridge plugin with host-local IPAM and a /32 per pod makes it
(containernetworking/plugins `plugins/main/bridge`, and ptp's routed /32 layout).

- `ensure_bridge`: the node's bridge `kl<id>-br<N>` holding the gateway (.1 of the node's podCIDR),
  forwarding on, ICMP redirects off. Idempotent: a restarted kubelet finds it as it was.
- `add_pod` (CNI ADD): the pod's network namespace, a veth pair (host end on the bridge in hairpin mode,
  `eth0` inside), `lo` up, the pod IP as a /32 on eth0 with an on-link route to the gateway and the
  default route via it. A /32 sends every packet, even to a pod on the same bridge, through the host's
  IP layer: so the service proxy's prerouting DNAT applies and conntrack sees both directions; hairpin
  mode lets a pod's packet DNATed to itself go back out of its own port. Idempotent and cheap
  when done (two stat calls), so every pod sync may call it; it never disturbs a running pod.
- `del_pod` (CNI DEL): the namespace and veth go; deleting what is already gone is fine.
- `sweep`: namespaces of this node's pods that no longer exist (a kubelet that died mid-way).
- `HostGwRoutes` (docker compose, flannel's host-gw): a route to each other node's podCIDR via its
  InternalIP, tagged with protocol 75 so that routes of nodes gone can be found and removed; and, as
  flannel's ipMasq (and the CNI bridge plugin's ipMasq) do, this node's pods' traffic to anything that is
  no pod is masqueraded to the node's address (`table ip kubelab-<id>-ipmasq`): the other containers
  (the DNS server and the API server behind kube-dns's and kubernetes's ClusterIPs) have no route back
  to the pod ranges. Pod-to-pod traffic keeps its addresses.
"""
from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import threading
from pathlib import Path

from kubelab import nft, podnet
from kubelab.podnet import IpError

__all__ = ["NodeNetwork", "HostGwRoutes", "IpError", "NETWORK_NOT_READY"]

log = logging.getLogger(__name__)

#: The kubelet's words (runtimeState.networkErrors) while the node has no pod network yet.
NETWORK_NOT_READY = ("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                     "message:Network plugin returns error: cni plugin not initialized")
ROUTE_PROTO = "75"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(path: str, fn) -> None:
    """Run fn() in a thread that has joined the network namespace at path (setns changes one thread)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {path}: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(fd)
            fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            errors.append(e)
    t = threading.Thread(target=run, name="netns")
    t.start()
    t.join()
    if errors:
        raise errors[0]


class NodeNetwork:
    def __init__(self, cluster: str, node: str, pod_cidr: str):
        self.cluster, self.node = cluster, node
        self.pod_cidr = str(ipaddress.ip_network(pod_cidr, strict=False))
        self.bridge = podnet.bridge_name(cluster, node)
        self.gateway = podnet.gateway(self.pod_cidr)
        self.prefix = self.pod_cidr.split("/")[1]

    def ensure_bridge(self) -> None:
        if not Path("/sys/class/net", self.bridge).exists():
            # A fixed address: else the bridge takes its lowest port's, which changes as pods come and go,
            # and pods would keep sending to the gateway's old MAC.
            podnet.ip("link", "add", self.bridge, "address", bridge_mac(self.bridge), "type", "bridge")
        podnet.ip(batch=[f"addr replace {self.gateway}/{self.prefix} dev {self.bridge}",
                         f"link set {self.bridge} up"])
        # Per-bridge forwarding is all the kernel needs to route between our bridges (the input device's
        # setting counts), so the machine's ip_forward is left alone.
        podnet.write_sysctl(f"net.ipv4.conf.{self.bridge}.forwarding", "1")
        podnet.write_sysctl(f"net.ipv4.conf.{self.bridge}.send_redirects", "0")
        log.info("node network ready bridge=%s gateway=%s pod_cidr=%s", self.bridge, self.gateway, self.pod_cidr)

    def netns(self, uid: str) -> str:
        return podnet.netns_name(self.cluster, self.node, uid)

    def add_pod(self, uid: str, pod_ip: str) -> str:
        """CNI ADD; the path of the pod's network namespace."""
        ns, veth = self.netns(uid), podnet.veth_name(self.cluster, pod_ip)
        path = podnet.netns_path(ns)
        if Path(path).exists() and Path("/sys/class/net", veth).exists():
            return path
        self.del_pod(uid, pod_ip)  # half-made by a kubelet that died mid-way: start over
        # the host may still know a previous pod's MAC for this address (a pod deleted and made again gets
        # the same IP): forgotten, or it would send there until the entry expires
        # hairpin: the bridge may send a frame back out of the port it came in by; a pod's packet to its
        # own Service is DNATed to itself, and where br_netfilter is on, forwarded that way (CNI bridge's
        # hairpinMode, the kubelet's hairpin-veth; docs/pod-network.md, "Hairpin")
        podnet.ip(batch=[f"netns add {ns}",
                         f"link add {veth} type veth peer name eth0 netns {ns}",
                         f"link set {veth} master {self.bridge} up",
                         f"link set {veth} type bridge_slave hairpin on",
                         f"neigh flush to {pod_ip} dev {self.bridge}"])
        in_netns(path, _pod_sysctls)
        podnet.ip(netns=ns, batch=["link set lo up",
                                   f"addr add {pod_ip}/32 dev eth0",
                                   "link set eth0 up",
                                   f"route add {self.gateway} dev eth0 scope link",
                                   f"route add default via {self.gateway} dev eth0"])
        log.info("pod network added netns=%s veth=%s pod_ip=%s", ns, veth, pod_ip)
        return path

    def del_pod(self, uid: str, pod_ip: str = "") -> None:
        """CNI DEL: the namespace (its eth0, and so the pair, go with it) and a veth left without one."""
        ns = self.netns(uid)
        if Path(podnet.netns_path(ns)).exists():
            podnet.ip("netns", "delete", ns, check=False)
            log.info("pod network deleted netns=%s", ns)
        if pod_ip:
            veth = podnet.veth_name(self.cluster, pod_ip)
            if Path("/sys/class/net", veth).exists():
                podnet.ip("link", "delete", veth, check=False)
            if Path("/sys/class/net", self.bridge).exists():
                podnet.ip("neigh", "flush", "to", pod_ip, "dev", self.bridge, check=False)

    def sweep(self, keep: set[str]) -> list[str]:
        """Delete namespaces of this node's pods whose uid is not in keep; their uids."""
        prefix = podnet.netns_name(self.cluster, self.node, "")
        gone = [ns[len(prefix):] for ns in podnet.cluster_namespaces(self.cluster, self.node)]
        gone = [uid for uid in gone if uid not in keep]
        for uid in gone:
            self.del_pod(uid)
        return gone


def bridge_mac(name: str) -> str:
    """A locally administered unicast MAC derived from the bridge's name."""
    import hashlib
    digest = hashlib.sha256(name.encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def _pod_sysctls() -> None:
    # No ICMP redirect may teach a pod to skip the gateway: its traffic must cross the host's IP layer.
    for conf in ("all", "default", "eth0"):
        podnet.write_sysctl(f"net.ipv4.conf.{conf}.accept_redirects", "0")


def masquerade_rules(table: str, own_cidr: str, pod_cidrs: list[str]) -> str:
    """The `nft -f` script that (re)makes `table`: traffic from `own_cidr` to an address outside every pod
    range is masqueraded (flannel's `-s <network> ! -d <network> -j MASQUERADE`, per node)."""
    family = "ip"
    pods = ", ".join(sorted(set(pod_cidrs) | {own_cidr}))
    return (f"add table {family} {table}\n"
            f"delete table {family} {table}\n"
            f"table {family} {table} {{\n"
            f"  chain postrouting {{\n"
            f"    type nat hook postrouting priority srcnat; policy accept;\n"
            f"    ip saddr {own_cidr} ip daddr != {{ {pods} }} masquerade\n"
            f"  }}\n"
            f"}}\n")


class HostGwRoutes:
    """Routes to the other nodes' pod ranges through their addresses (each node its own namespace), and
    the masquerade of this node's pods' traffic leaving the pod ranges (`cluster_id` names its table)."""

    def __init__(self, node: str, cluster_id: str = ""):
        self.node = node
        self.table = f"kubelab-{cluster_id}-ipmasq" if cluster_id else "kubelab-ipmasq"
        self._masq: tuple[str, tuple[str, ...]] | None = None

    def sync(self, nodes: list[tuple[str, str, str]]) -> None:
        """nodes: (name, podCIDR, InternalIP) of every node; routes of others are made to match."""
        self._sync_masquerade(nodes)
        want = {cidr: addr for name, cidr, addr in nodes if name != self.node and cidr and addr}
        have = {r["dst"]: r.get("gateway", "") for r in podnet.ip_json("route", "show", "proto", ROUTE_PROTO)}
        for dst in set(have) - set(want):
            podnet.ip("route", "delete", dst, "proto", ROUTE_PROTO, check=False)
        for dst, via in want.items():
            if have.get(dst) != via:
                podnet.ip("route", "replace", dst, "via", via, "proto", ROUTE_PROTO)
                log.info("host-gw route dst=%s via=%s", dst, via)

    def _sync_masquerade(self, nodes: list[tuple[str, str, str]]) -> None:
        own = next((cidr for name, cidr, _ in nodes if name == self.node and cidr), "")
        want = (own, tuple(sorted({cidr for _, cidr, _ in nodes if cidr})))
        if not own or want == self._masq:
            return
        try:
            nft.run(["-f", "-"], stdin=masquerade_rules(self.table, own, list(want[1])))
        except (nft.NftError, OSError) as e:  # routes still work between pods; say what does not
            log.error("cannot masquerade pod traffic leaving the pod network (DNS and the API server through "
                      "their ClusterIPs will not answer pods) table=%s error=%s", self.table, e)
            return
        self._masq = want
        log.info("masquerading pod traffic leaving the pod network table=%s pod_cidr=%s", self.table, own)
