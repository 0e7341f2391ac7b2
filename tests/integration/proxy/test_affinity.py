"""sessionAffinity ClientIP: sticky per client address within timeoutSeconds; None spreads (e2e service.go
"should have session affinity work", "should be able to switch session affinity", "...timeout work")."""
from __future__ import annotations

import asyncio
import random

from tests.integration.proxy.conftest import answers, cluster_ip, endpoint_slice, reaches, service, unique

READY = {"ready": True}


async def _three_endpoints(client, backends, affinity=None, timeout=None):
    name, ip = unique(), cluster_ip()
    port = random.randrange(20000, 40000)
    ips = [backends.start(port=port)[0] for _ in range(3)]
    await client.create(service(name, ip, [("http", 80, "TCP")], affinity=affinity, timeout=timeout))
    await client.create(endpoint_slice(name, [(a, READY) for a in ips], [("http", port, "TCP")]))
    await reaches(ip, 80, {f"{a}:{port}" for a in ips})
    return name, ip


async def test_client_ip_sticks_and_switching_to_none_spreads(proxy, client, backends):
    name, ip = await _three_endpoints(client, backends, affinity="ClientIP")
    assert len(set(await answers(ip, 80, n=30))) == 1
    svc = await client.get("Service", name, "default")
    svc.spec.session_affinity = "None"
    svc.spec.ClearField("session_affinity_config")
    await client.update(svc)

    async def spread():
        return len(set(await answers(ip, 80, n=30))) == 3
    for _ in range(100):
        if await spread():
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("sessionAffinity None did not spread over the 3 endpoints")
    svc = await client.get("Service", name, "default")
    svc.spec.session_affinity = "ClientIP"
    await client.update(svc)
    for _ in range(100):
        if len(set(await answers(ip, 80, n=30))) == 1:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("sessionAffinity ClientIP again did not stick")


IDLE_PERIODS = 20
"""Idle periods the timeout test may need: each ends with a fresh uniform choice of 3, so the client lands on
the same endpoint every time with odds (1/3)^20 < 1e-9; it usually moves within the first two."""


async def test_affinity_timeout_ends_stickiness(proxy, client, backends):
    _, ip = await _three_endpoints(client, backends, affinity="ClientIP", timeout=2)
    first = set(await answers(ip, 80, n=10))
    assert len(first) == 1
    # After the timeout each new first connection is a fresh uniform choice, which then sticks again: over
    # idle periods the client must land somewhere else. The client must stay idle for the timeout (every
    # connection refreshes its affinity entry), so this waits the timeout out rather than polling.
    seen = set(first)
    for _ in range(IDLE_PERIODS):
        await asyncio.sleep(2.5)
        now = set(await answers(ip, 80, n=5))
        assert len(now) == 1, f"a new choice did not stick within the timeout: {now}"
        seen |= now
        if len(seen) > 1:
            break
    assert len(seen) > 1, f"{IDLE_PERIODS} idle periods of the 2 s timeout all kept {seen}"
