"""The StatefulSet Basics tutorial's DNS steps on web.yaml ("Using Stable Network Identities"):

- each pod's hostname is its name (`kubelab exec web-$i -- sh -c hostname`);
- from another pod, the tutorial's own command `kubelab run -i --tty --image busybox:1.28 dns-test
  --restart=Never --rm -- nslookup web-0.nginx` prints busybox's answer: cluster DNS as the server, and
  web-0's pod IP with its name `web-0.nginx.<ns>.svc.cluster.local`;
- after `kubelab delete pod web-0` the name stays and resolves to the new pod's IP, which is another
  address than the old one (host-local IPAM hands addresses out round-robin, services/kubelet/ipam.py,
  and another node has another /24): names are stable, IPs are not.
"""
from __future__ import annotations

import asyncio

from tests.e2e.networking import dns_address, nslookup_output, wait_for_endpoints
from tests.e2e.statefulset.conftest import WEB_YAML, wait_for
from tests.e2e.statefulset.test_web import pods, running

NSLOOKUP = ["-i", "--tty", "--image", "busybox:1.28", "dns-test", "--restart=Never", "--rm", "--",
            "nslookup", "web-0.nginx"]


async def nslookup_shows(cluster, ns: str, expected: str) -> None:
    """Run the tutorial's command until it prints `expected` (cluster DNS follows the pods within a moment);
    fails with the last output."""
    last = []

    async def attempt():
        result = await asyncio.to_thread(cluster.run, "run", "-n", ns, *NSLOOKUP, check=False)
        last[:] = [result.returncode, result.stdout, result.stderr]
        return result.returncode == 0 and result.stdout == expected + 'pod "dns-test" deleted\n'
    try:
        await wait_for(attempt, 60, "nslookup web-0.nginx to answer")
    except AssertionError:
        raise AssertionError(f"nslookup web-0.nginx: exit {last[0]}\n{last[1]}{last[2]}") from None


async def test_web_0_nginx_resolves_to_web_0_from_another_pod_and_follows_it(cluster, client, ns):
    await cluster.kubelab("apply", "-n", ns, "-f", str(WEB_YAML))
    got = await running(client, ns, ["web-0", "web-1"])
    for i in (0, 1):
        assert await cluster.kubelab("exec", "-n", ns, f"web-{i}", "--", "sh", "-c", "hostname") == f"web-{i}\n"
    await wait_for_endpoints(client, ns, "nginx", {p.status.pod_ip for p in got.values()})

    dns = await dns_address(client)
    fqdn = f"web-0.nginx.{ns}.svc.cluster.local"
    await nslookup_shows(cluster, ns, nslookup_output(dns, "web-0.nginx", [(got["web-0"].status.pod_ip, fqdn)]))

    old = got["web-0"]
    assert await cluster.kubelab("delete", "-n", ns, "pod", "web-0") == 'pod "web-0" deleted\n'

    async def recreated():
        p = (await pods(client, ns)).get("web-0")
        return p if p is not None and p.metadata.uid != old.metadata.uid and p.status.phase == "Running" and any(
            c.type == "Ready" and c.status == "True" for c in p.status.conditions) else None
    new = await wait_for(recreated, 90, "web-0 recreated, Running and Ready")
    assert await cluster.kubelab("exec", "-n", ns, "web-0", "--", "sh", "-c", "hostname") == "web-0\n"
    assert new.status.pod_ip and new.status.pod_ip != old.status.pod_ip, \
        f"web-0 got its old address {old.status.pod_ip} back: the README says the IP changes"
    await wait_for_endpoints(client, ns, "nginx", {new.status.pod_ip, got["web-1"].status.pod_ip})
    await nslookup_shows(cluster, ns, nslookup_output(dns, "web-0.nginx", [(new.status.pod_ip, fqdn)]))
