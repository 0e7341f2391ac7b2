"""What a student sees when the DNS server, its upstream or its link to the API server fails."""
import asyncio
import signal
import socket
import time

import dns.exception
import dns.rcode
import pytest

from tests.integration.dns.conftest import (DnsProcess, PartitionProxy, addresses, endpoint_slice, random_service_ip,
                                            ready, service, wait_for_answer)
from tests.support import wait_until


@pytest.fixture
def silent_upstream():
    """A UDP socket that receives queries and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def own_dns(apiserver, echo):
    servers = []

    def start(*args: str, apiserver_addr: str | None = None) -> DnsProcess:
        server = DnsProcess(apiserver_addr or apiserver.address, *args).start()
        servers.append(server)
        server.wait_serving()
        return server
    yield start
    for server in servers:
        server.stop()


async def test_an_upstream_that_never_answers_gives_servfail_in_about_two_seconds(client, own_dns, silent_upstream,
                                                                                  ns):
    server = own_dns("--upstream", silent_upstream)
    ip = random_service_ip()
    await client.create(service("quick", ns, ip))
    wait_for_answer(server, f"quick.{ns}.svc.cluster.local", [ip])

    async def slow():
        return await asyncio.to_thread(server.ask, "foo.example.com", timeout=10)

    started = time.monotonic()
    pending = asyncio.ensure_future(slow())
    await asyncio.sleep(0.2)
    # meanwhile cluster names are answered at once: the forwarded query blocks nothing (its answer comes
    # while the forwarded one still waits, and far sooner than the upstream's 2 s; a loaded machine can
    # take most of a second to run the query itself, so the bound is not tighter)
    fast_started = time.monotonic()
    assert addresses(await asyncio.to_thread(server.ask, f"quick.{ns}.svc.cluster.local")) == [ip]
    fast_took = time.monotonic() - fast_started
    assert not pending.done() and fast_took < 1.2, fast_took
    r = await pending
    took = time.monotonic() - started
    assert r.rcode() == dns.rcode.SERVFAIL and 1.5 < took < 4.0, took


async def test_killed_dns_answers_nothing_until_started_again(client, own_dns, ns):
    server = own_dns()
    ip = random_service_ip()
    await client.create(service("k", ns, ip))
    name = f"k.{ns}.svc.cluster.local"
    wait_for_answer(server, name, [ip])
    server.kill()
    with pytest.raises(dns.exception.Timeout):
        server.ask(name, timeout=1.0)
    with pytest.raises((ConnectionRefusedError, ConnectionResetError, EOFError)):
        server.ask(name, tcp=True, timeout=1.0)
    server.start()
    wait_for_answer(server, name, [ip])


async def test_paused_dns_answers_after_it_is_resumed(client, own_dns, ns):
    server = own_dns()
    ip = random_service_ip()
    await client.create(service("p", ns, ip))
    name = f"p.{ns}.svc.cluster.local"
    wait_for_answer(server, name, [ip])
    server.proc.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(dns.exception.Timeout):
            server.ask(name, timeout=1.0)
    finally:
        server.proc.send_signal(signal.SIGCONT)
    wait_for_answer(server, name, [ip])


async def test_partitioned_dns_keeps_answering_with_its_last_records(client, apiserver, own_dns, ns):
    proxy = PartitionProxy("dns", apiserver.address)
    try:
        server = own_dns(apiserver_addr=proxy.listen)
        ip = random_service_ip()
        await client.create(service("web", ns))
        await client.create(service("old", ns, ip))
        await client.create(endpoint_slice("web-a", ns, "web", [ready("198.18.5.5", "web-0")]))
        wait_for_answer(server, f"web-0.web.{ns}.svc.cluster.local", ["198.18.5.5"])
        wait_for_answer(server, f"old.{ns}.svc.cluster.local", [ip])
        proxy.set(True)
        wait_until(lambda: not server.serving(), 30, 0.1, "dns NOT_SERVING while partitioned")
        # the cluster changes; the partitioned DNS server does not see it
        await client.delete("EndpointSlice", "web-a", ns)
        await client.delete("Service", "old", ns)
        await client.create(service("new", ns, random_service_ip()))
        await asyncio.sleep(1.0)
        assert addresses(server.ask(f"web-0.web.{ns}.svc.cluster.local")) == ["198.18.5.5"]  # stale, still served
        assert addresses(server.ask(f"old.{ns}.svc.cluster.local")) == [ip]
        assert server.ask(f"new.{ns}.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN
        assert "answering from the last cache" in server.logs()
        proxy.set(False)
        wait_until(lambda: server.ask(f"old.{ns}.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN, 30, 0.1,
                   "the deleted Service gone after heal")
        # Services and EndpointSlices come back on watches of their own: the slice's deletion may follow
        wait_until(lambda: server.ask(f"web-0.web.{ns}.svc.cluster.local").rcode() == dns.rcode.NXDOMAIN, 30, 0.1,
                   "the deleted EndpointSlice's pod record gone after heal")
        wait_until(lambda: server.ask(f"new.{ns}.svc.cluster.local").rcode() == dns.rcode.NOERROR, 30, 0.1,
                   "the new Service answered after heal")
        wait_until(server.serving, 30, 0.1, "dns SERVING after heal")
    finally:
        proxy.stop()
