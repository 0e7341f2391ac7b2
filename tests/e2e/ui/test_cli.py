"""The `kubelab` side of the web view: `kubelab up` prints the page's address, and `kubelab ui --listen ADDR`
serves another copy of the page in the foreground on the address given, until stopped."""
from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from kubelab.cluster.ports import allocate
from tests.e2e.cluster import KUBELAB, ROOT


async def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s, s.get(url) as resp:
        return resp.status, await resp.text()


async def test_kubelab_up_prints_the_address_of_the_page(cluster):
    lines = [line for line in cluster.up_said.splitlines() if line.startswith("event=ui ")]
    assert lines == [f"event=ui url={cluster.url} hint='open it in a browser'"], cluster.up_said
    status, body = await get(cluster.url)
    assert status == 200 and "<title>kubelab</title>" in body


async def picture(url: str, until, timeout: float = 30.0) -> dict[str, dict]:
    """The page's picture from its stream (the snapshot, then batches) once until(picture) holds."""
    objects: dict[str, dict] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s, s.get(url) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        async for line in resp.content:
            if not line.startswith(b"data: "):
                continue
            message = json.loads(line[len(b"data: "):])
            if message["type"] == "snapshot":
                objects = message["objects"]
            for op in message.get("ops", []):
                if op["op"] == "put":
                    objects.setdefault(op["kind"], {})[op["key"]] = op["view"]
                else:
                    objects.get(op["kind"], {}).pop(op["key"], None)
            if until(objects):
                return objects
    raise AssertionError(f"{url}: the stream ended before the picture was complete: {objects}")


async def test_kubelab_ui_serves_the_page_on_the_address_given(cluster):
    port = allocate({"kubelab-ui-test": None})["kubelab-ui-test"]
    url = f"http://127.0.0.1:{port}/"
    launched = (cluster.state_dir / "ui.url").read_text()
    proc = await asyncio.create_subprocess_exec(
        *KUBELAB, "--state-dir", str(cluster.state_dir), "ui", "--listen", f"127.0.0.1:{port}",
        env=cluster.env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    said: list[str] = []

    async def drain() -> None:  # its log must never fill the pipe
        async for line in proc.stderr:
            said.append(line.decode().rstrip())
    drained = asyncio.create_task(drain())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            assert proc.returncode is None, f"kubelab ui exited {proc.returncode}: {said}"
            try:
                status, body = await get(url, timeout=2)
                break
            except aiohttp.ClientConnectionError:
                assert loop.time() < deadline, f"nothing served on {url} after 60 s: {said}"
                await asyncio.sleep(0.2)
        assert status == 200 and "<title>kubelab</title>" in body
        assert said[0] == f"event=ui url={url} hint='Ctrl-C stops it'", said
        # the nodes from the API, and the processes from the same state dir, with their verbs
        seen = await picture(url + "events", lambda o: {"node-1", "node-2"} <= set(o.get("Node", {}))
                             and "scheduler" in o.get("Component", {}))
        assert seen["Component"]["scheduler"]["actions"] is True
        assert (cluster.state_dir / "ui.url").read_text() == launched  # the launched copy's address is kept
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)  # `kubelab ui` became the page's server: SIGTERM stops it
        try:
            code = await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            code = await proc.wait()
        await drained
    assert code == 0, f"kubelab ui exited {code} on SIGTERM: {said[-5:]}"
    try:
        await get(url, timeout=2)
        raise AssertionError(f"{url} still served after kubelab ui stopped")
    except aiohttp.ClientConnectionError:
        pass
