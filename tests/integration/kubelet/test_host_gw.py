"""The kubelet's host-gw routes (docker compose: every node its own network namespace), on a real kernel:
in a scratch namespace standing in for node-1's container, routes to the other nodes' podCIDRs via their
addresses follow the Nodes (added, changed, removed), and only the routes the kubelet made are touched."""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from kubelab import podnet
from services.kubelet.podnetwork import HostGwRoutes, in_netns


@pytest.fixture
def node_namespace():
    """A namespace with the compose network's stand-in: an address on 10.99.0.0/24 (a veth pair, up)."""
    name = f"kl{uuid.uuid4().hex[:8]}-hostgw"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for cmd in (["link", "add", "n0", "type", "veth", "peer", "name", "n1"], ["link", "set", "n1", "up"],
                    ["addr", "add", "10.99.0.1/24", "dev", "n0"], ["link", "set", "n0", "up"],
                    ["route", "add", "192.0.2.0/24", "via", "10.99.0.9"]):  # someone else's route
            subprocess.run(["ip", "-n", name, *cmd], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


def routes(ns: str) -> dict[str, str]:
    out = subprocess.run(["ip", "-n", ns, "-j", "route", "show"], capture_output=True, text=True, check=True).stdout
    return {r["dst"]: r.get("gateway", "") for r in json.loads(out) if r.get("gateway")}


def test_routes_follow_the_nodes(node_namespace):
    gw = HostGwRoutes("node-1")
    path = podnet.netns_path(node_namespace)
    nodes = [("node-1", "198.18.0.0/24", "10.99.0.1"), ("node-2", "198.18.1.0/24", "10.99.0.2"),
             ("node-3", "198.18.2.0/24", "10.99.0.3"), ("node-4", "", "10.99.0.4")]  # no podCIDR yet
    in_netns(path, lambda: gw.sync(nodes))
    assert routes(node_namespace) == {"198.18.1.0/24": "10.99.0.2", "198.18.2.0/24": "10.99.0.3",
                                      "192.0.2.0/24": "10.99.0.9"}
    in_netns(path, lambda: gw.sync([nodes[0], ("node-2", "198.18.1.0/24", "10.99.0.22")]))  # node-3 deleted
    assert routes(node_namespace) == {"198.18.1.0/24": "10.99.0.22", "192.0.2.0/24": "10.99.0.9"}


def test_pods_leaving_the_pod_network_are_masqueraded(node_namespace):
    """flannel's ipMasq: this node's pods to a non-pod address (the DNS or API server container) go out
    with the node's address; to any node's pod range they keep their own. Remade as ranges come."""
    gw = HostGwRoutes("node-1", "abc")
    path = podnet.netns_path(node_namespace)

    def rule() -> str:
        out = subprocess.run(["ip", "netns", "exec", node_namespace, "nft", "list", "table", "ip",
                              "kubelab-abc-ipmasq"], capture_output=True, text=True, check=True).stdout
        return next(line.strip() for line in out.splitlines() if "masquerade" in line)

    in_netns(path, lambda: gw.sync([("node-1", "198.18.0.0/24", "10.99.0.1"), ("node-2", "", "10.99.0.2")]))
    assert rule() == "ip saddr 198.18.0.0/24 ip daddr != 198.18.0.0/24 masquerade"
    in_netns(path, lambda: gw.sync([("node-1", "198.18.0.0/24", "10.99.0.1"),
                                    ("node-2", "198.18.2.0/24", "10.99.0.2")]))
    assert rule() == "ip saddr 198.18.0.0/24 ip daddr != { 198.18.0.0/24, 198.18.2.0/24 } masquerade"
    host = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=True).stdout
    assert "kubelab-abc-ipmasq" not in host  # in the node's namespace only
