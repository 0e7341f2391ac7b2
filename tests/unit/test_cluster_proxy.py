"""The partition proxy, in process, over real loopback sockets."""

import asyncio
import json

import pytest

from kubelab.cluster.ports import allocate
from kubelab.cluster.proxy import Proxy


async def _echo(reader, writer):
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture
async def setup(tmp_path):
    ports = allocate({"echo": None, "route": None, "control": None})
    echo = await asyncio.start_server(_echo, "127.0.0.1", ports["echo"])
    config = tmp_path / "proxy.json"
    route = {"listen": f"127.0.0.1:{ports['route']}", "target": f"127.0.0.1:{ports['echo']}", "upstream": "redis"}

    def write(**changes):
        config.write_text(json.dumps({"control": f"127.0.0.1:{ports['control']}", "routes": {"r": {**route, **changes}}}))

    write()
    proxy = Proxy(config)
    await proxy.reload()
    yield proxy, write, ports["route"]
    for r in proxy.routes.values():
        await r.close()
    echo.close()


async def _roundtrip(port: int, data: bytes = b"ping"):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    return reader, writer, await asyncio.wait_for(reader.read(1024), 2)


async def _is_cut(reader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1024), 2) == b""
    except ConnectionResetError:
        return True


async def test_forwards(setup):
    proxy, _, port = setup
    *_, got = await _roundtrip(port)
    assert got == b"ping"
    assert proxy.status()["routes"]["r"]["partitioned"] is False


async def test_partition_cuts_open_connections_and_new_ones_hang_until_heal(setup):
    proxy, write, port = setup
    reader, writer, _ = await _roundtrip(port)
    write(partitioned=True)
    await proxy.reload()
    assert await _is_cut(reader)
    r2, w2 = await asyncio.open_connection("127.0.0.1", port)
    w2.write(b"held")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(r2.read(1024), 0.3)
    write(partitioned=False)
    await proxy.reload()
    assert await asyncio.wait_for(r2.read(1024), 2) == b"held"
    w2.close()


async def test_reject_mode_refuses_connections(setup):
    proxy, write, port = setup
    write(partitioned=True, mode="reject")
    await proxy.reload()
    assert proxy.status()["routes"]["r"]["listening"] is False
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    write(partitioned=False)
    await proxy.reload()
    *_, got = await _roundtrip(port, b"back")
    assert got == b"back"


async def test_removed_route_stops_listening(setup, tmp_path):
    proxy, _, port = setup
    (tmp_path / "proxy.json").write_text(json.dumps({"control": "127.0.0.1:1", "routes": {}}))
    await proxy.reload()
    assert proxy.routes == {}
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
