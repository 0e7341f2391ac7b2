"""Pod networks of whole clusters, as a user sees them: lifecycle gives each node its podCIDR, pods get
addresses from it and serve on them, two clusters side by side get disjoint ranges and bridges of their
own, pods resolve Services through the cluster DNS, and `kubelab down` leaves no bridge, veth, route or namespace behind (checked with `ip`)."""
from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import textwrap
from contextlib import ExitStack

from kubelab.network import cluster_id
from tests.e2e.cluster import StdoutCluster, running_cluster
from tests.support import wait_until

NGINX = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 4
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: nginx
            image: nginx
            ports: [{containerPort: 80}]
            readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}
    """)


def ip_objects(cid: str) -> dict[str, list[str]]:
    """Everything `ip` shows of a cluster: namespaces, links and routes whose names carry its id."""
    def lines(*argv):
        return subprocess.run(["ip", *argv], capture_output=True, text=True, check=True).stdout.splitlines()
    return {"netns": [x for x in lines("netns", "list") if f"kl{cid}-" in x],
            "links": [x for x in lines("-br", "link") if f"kl{cid}" in x],
            "routes": [x for x in lines("route") if f"kl{cid}" in x]}


def cluster_state(state_dir) -> dict:
    return json.loads((state_dir / "cluster.json").read_text())


async def test_two_clusters_side_by_side_and_down_leaves_nothing(tmp_path):
    with ExitStack() as stack:
        a = stack.enter_context(running_cluster(tmp_path / "a", 2, StdoutCluster))
        b = stack.enter_context(running_cluster(tmp_path / "b", 1, StdoutCluster))
        ranges = [cluster_state(c.state_dir) for c in (a, b)]
        nets = [ipaddress.ip_network(r[k]) for r in ranges for k in ("pod_cidr", "service_cidr")]
        assert not any(x.overlaps(y) for i, x in enumerate(nets) for y in nets[i + 1:])

        nodes = json.loads(await a.kubelab("get", "nodes", "-o", "json"))["items"]
        cidrs = sorted(n["spec"]["podCIDR"] for n in nodes)
        assert len(set(cidrs)) == 2 and all(ipaddress.ip_network(c).subnet_of(nets[0]) for c in cidrs)
        node1 = next(n for n in nodes if n["metadata"]["name"] == "node-1")["spec"]["podCIDR"]
        assert re.search(rf"^PodCIDR:\s+{re.escape(node1)}$", await a.kubelab("describe", "node", "node-1"), re.M)
        for n in nodes:
            internal = next(x["address"] for x in n["status"]["addresses"] if x["type"] == "InternalIP")
            assert not ipaddress.ip_address(internal).is_loopback
            assert ipaddress.ip_address(internal) in ipaddress.ip_network(n["spec"]["podCIDR"])

        (tmp_path / "web.yaml").write_text(NGINX)
        await a.kubelab("apply", "-f", str(tmp_path / "web.yaml"))

        def ready_ips():
            pods = json.loads(a.run("get", "pods", "-o", "json").stdout)["items"]
            ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in p["status"].get("conditions", []))]
            return [p["status"]["podIP"] for p in ready] if len(ready) == 4 else None
        ips = wait_until(ready_ips, 60, what="4 nginx pods Ready")
        assert all(ipaddress.ip_address(ip) in nets[0] for ip in ips)
        wide = await a.kubelab("get", "pods", "-o", "wide")
        assert all(ip in wide for ip in ips)
        pod = json.loads(await a.kubelab("get", "pods", "-o", "json"))["items"][0]["metadata"]["name"]
        resolved = await a.kubelab("exec", pod, "--", "python3", "-c",  # the cluster DNS, from the pod's network
                                   "import socket; print(socket.gethostbyname('kubernetes.default'))")
        assert resolved.strip() == str(nets[1].network_address + 1)

        ids = [cluster_id(str(c.state_dir)) for c in (a, b)]
        seen = [ip_objects(cid) for cid in ids]
        assert len(seen[0]["netns"]) == 4 and len(seen[1]["netns"]) == 0
        assert sum("-br" in x for x in seen[0]["links"]) == 2 and sum("-br" in x for x in seen[1]["links"]) == 1
        assert seen[0]["routes"] and seen[1]["routes"]

        a.run("down", "--timeout", "5")
        assert ip_objects(ids[0]) == {"netns": [], "links": [], "routes": []}
        assert len([x for x in ip_objects(ids[1])["links"] if "-br" in x]) == 1  # the other cluster keeps its own
        b.run("down", "--timeout", "5")
        assert ip_objects(ids[1]) == {"netns": [], "links": [], "routes": []}
