"""examples/stateless, as its README runs it: three replicas of `kubelab/session-demo` behind a ClusterIP
Service, reached by name from a `kubelab run` client pod.

- a login kept as a cookie session lives in one pod's memory: of 30 requests through the Service, those
  served by that pod say "logged in", all others "not logged in", and (2/3 expected) at least 5 land
  elsewhere (the chance of fewer, with uniform choice, is below 1e-7);
- a signed token works on every replica: 30 requests all "logged in", served by more than one pod;
- with `sessionAffinity: ClientIP` (the README's sed) the cookie works on all 30: one client, one pod.
"""
from __future__ import annotations

import re
import subprocess

from tests.e2e.cluster import KUBELAB, ROOT
from tests.e2e.networking import run_client, wait_for_endpoints
from tests.e2e.stateless.conftest import MANIFEST

REQUESTS = 30
ANSWER = re.compile(r"(logged in as alice|not logged in) \(served by (\S+)\)")

COOKIE = f"""
curl -s -c /tmp/jar -X POST "http://session-demo/login?user=alice"
for i in $(seq {REQUESTS}); do curl -s -b /tmp/jar http://session-demo/whoami; done
"""

TOKEN = f"""
TOKEN=$(curl -s -X POST "http://session-demo/token?user=alice")
for i in $(seq {REQUESTS}); do curl -s -H "Authorization: Bearer $TOKEN" http://session-demo/whoami; done
"""


async def deployed(cluster, client, ns) -> set[str]:
    """Apply the manifest and wait until the Service has the three pods as ready endpoints; their names."""
    out = (await cluster.kubelab("apply", "-n", ns, "-f", str(MANIFEST))).stdout
    assert out == "secret/session-demo created\nservice/session-demo created\ndeployment.apps/session-demo created\n"
    await cluster.kubelab("rollout", "status", "-n", ns, "deployment/session-demo", "--timeout", "120s")
    pods, _ = await client.list("Pod", ns, label_selector="app=session-demo")
    live = [p for p in pods if not p.metadata.HasField("deletion_timestamp")]
    assert len(live) == 3
    await wait_for_endpoints(client, ns, "session-demo", {p.status.pod_ip for p in live})
    return {p.metadata.name for p in live}


def answers(lines: list[str]) -> list[tuple[str, str]]:
    got = [ANSWER.fullmatch(line) for line in lines]
    assert all(got), lines
    return [m.groups() for m in got]


async def test_a_cookie_session_is_known_only_to_the_pod_that_made_it(cluster, client, ns):
    pods = await deployed(cluster, client, ns)
    code, lines, err = await run_client(cluster, ns, "client", COOKIE)
    assert code == 0, err
    (login, holder), *rest = answers(lines)
    assert login == "logged in as alice" and holder in pods
    assert len(rest) == REQUESTS
    assert {pod for _, pod in rest} <= pods
    for said, pod in rest:
        assert said == ("logged in as alice" if pod == holder else "not logged in"), (said, pod, holder)
    elsewhere = sum(pod != holder for _, pod in rest)
    assert elsewhere >= 5, f"only {elsewhere} of {REQUESTS} requests left {holder}: is the Service balancing?\n" \
        + "\n".join(lines)


async def test_a_token_works_on_every_replica(cluster, client, ns):
    pods = await deployed(cluster, client, ns)
    code, lines, err = await run_client(cluster, ns, "client", TOKEN)
    assert code == 0, err
    got = answers(lines)
    assert len(got) == REQUESTS
    assert all(said == "logged in as alice" for said, _ in got), got
    served = {pod for _, pod in got}
    assert served <= pods and len(served) >= 2, served


async def test_client_ip_affinity_keeps_a_client_on_the_sessions_pod(cluster, client, ns):
    await deployed(cluster, client, ns)
    sticky = MANIFEST.read_text().replace("  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinity: ClientIP\n")
    assert "sessionAffinity: ClientIP" in sticky
    applied = subprocess.run([*KUBELAB, "--state-dir", str(cluster.state_dir), "apply", "-n", ns, "-f", "-"],
                             input=sticky, env=cluster.env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    # stringData is write-only, so a Secret written with it always differs from its manifest: `configured`
    assert applied.stdout == ("secret/session-demo configured\nservice/session-demo configured\n"
                              "deployment.apps/session-demo unchanged\n"), applied.stderr
    code, lines, err = await run_client(cluster, ns, "client", COOKIE)
    assert code == 0, err
    (login, holder), *rest = answers(lines)
    assert login == "logged in as alice" and len(rest) == REQUESTS
    assert rest == [("logged in as alice", holder)] * REQUESTS
