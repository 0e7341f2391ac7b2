"""Lab 13 (labs/13-services-and-dns): the session lost across replicas, web-0's stable name, DNS killed,
the proxy killed: its steps on a real cluster, with the outputs and timeline its README promises."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests.e2e.cluster import ROOT
from tests.e2e.networking import wait_for_proxy
from tests.labs.conftest import lab_cluster, wait_until
from tests.labs.labdoc import expected_outputs, expected_timelines, missing_in_order, missing_lines

LAB = "13-services-and-dns"
LOGIN = ('curl -s -c /tmp/j -X POST "http://session-demo/login?user=alice"; '
         'for i in $(seq 9); do curl -s -b /tmp/j http://session-demo/whoami; done')
WHOAMI = "curl -s -m 2 http://session-demo/whoami; echo exit=$?"


def _client(cluster, name: str, script: str) -> str:
    out = cluster.run("run", name, "-i", "--rm", "--restart=Never", "--image", "busybox", "--", "sh", "-c", script,
                      check=False, timeout=60).stdout
    assert out.rstrip().endswith(f'pod "{name}" deleted'), out
    return out


def _address(lookup: str) -> str:
    return next(line.split()[2] for line in lookup.splitlines() if "web-0.nginx.default.svc.cluster.local" in line)


def _pods(cluster) -> list[dict]:
    items = json.loads(cluster.run("get", "pods", "-l", "app=session-demo", "-o", "json").stdout)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


@pytest.mark.timeout(150)
def test_lab_13_services_and_dns(tmp_path):
    outputs, timelines = expected_outputs(LAB), expected_timelines(LAB)
    with lab_cluster(tmp_path) as c:
        c.run("apply", "-f", str(ROOT / "examples" / "stateless" / "session-demo.yaml"),
              "-f", str(ROOT / "examples" / "statefulset" / "web.yaml"))
        c.run("rollout", "status", "deployment/session-demo", "--timeout", "60s")
        c.run("rollout", "status", "statefulset/web", "--timeout", "60s")
        # the proxy writes the kernel at most once per minSyncPeriod: count who answers once all three are in
        asyncio.run(wait_for_proxy(c, "default", "session-demo", 3))

        answers = _client(c, "c1", LOGIN).splitlines()[-10:-1]  # the nine whoami answers
        assert all("(served by session-demo-" in a for a in answers), answers
        assert any(a.startswith("not logged in") for a in answers), answers

        first = _client(c, "c2", "nslookup web-0.nginx")
        assert missing_lines(first, outputs["stable-name"]) == [], first
        c.run("delete", "pod", "web-0")
        c.run("wait", "pod/web-0", "--for=condition=Ready", "--timeout", "60s")
        second = _client(c, "c3", "nslookup web-0.nginx")
        assert missing_lines(second, outputs["stable-name"]) == [], second
        assert _address(first) != _address(second)

        c.run("kill", "dns")
        ip = c.run("get", "svc", "session-demo", "-o", "jsonpath={.spec.clusterIP}").stdout.strip()
        down = _client(c, "c4", f"nslookup session-demo 2>&1; curl -s -m 2 http://{ip}/whoami")
        assert missing_lines(down, outputs["dns-down"]) == [], down
        c.run("start", "dns")

        c.run("scale", "deployment", "session-demo", "--replicas", "1")
        wait_until(lambda: len(_pods(c)) == 1, timeout=30, what="one session-demo pod")
        # the rules the proxy leaves behind must be those of the one pod left, not the two just deleted
        asyncio.run(wait_for_proxy(c, "default", "session-demo", 1))
        c.run("kill", "kube-proxy")
        assert "exit=0" in _client(c, "c5", WHOAMI)  # the programmed rules still forward
        c.run("delete", "pod", "-l", "app=session-demo")
        c.run("rollout", "status", "deployment/session-demo", "--timeout", "60s")
        stale = _client(c, "c6", WHOAMI)
        assert missing_lines(stale, outputs["proxy-down"]) == [], stale
        c.run("start", "kube-proxy")
        back = _client(c, "c7", WHOAMI)
        assert missing_lines(back, outputs["proxy-back"]) == [], back

        out = c.run("timeline", "--kinds", "component", "--since", "10m").stdout
        assert missing_in_order(out, timelines["components"]) == [], out
