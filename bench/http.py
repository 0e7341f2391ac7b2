"""HTTP API benchmark: ``python -m bench.http [--pods N] [--events N] [--markdown]``.

One Redis and one API server serving gRPC and HTTP; in the same run, the same work both ways:

- `kubectl get pods` wall time (discovery cache warm, as a user's second command) beside
  `kubelab get pods` (the gRPC CLI), N pods in one namespace, median of 5;
- List of the N pods, client-side call, median of 5: HTTP (aiohttp, JSON decoded) beside gRPC
  (``Client.list``, messages decoded);
- watch throughput: events/s one watcher receives while N updates go in as fast as 32 concurrent
  clients make them, HTTP (newline-delimited JSON, decoded) beside gRPC (``Client.watch``).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import aiohttp
import yaml

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.cluster.kubeconfig import kubeconfig
from tests.kubectl import kubectl_binary
from tests.support import ApiServerProcess, RedisProcess, free_port

NS = "bench"


def _pod(i: int) -> core_pb2.Pod:
    pod = core_pb2.Pod()
    pod.metadata.name, pod.metadata.namespace = f"p-{i:05d}", NS
    pod.metadata.labels["app"] = "bench"
    pod.spec.containers.add(name="c", image="busybox", command=["sleep", "3600"])
    return pod


async def _bounded(fns, concurrency: int = 32) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(fn):
        async with sem:
            await fn()
    await asyncio.gather(*(one(f) for f in fns))


def _median_wall(cmd: list[str], env: dict, runs: int = 5) -> float:
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # warm caches (discovery)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def _list_http(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(f"{base}/api/v1/namespaces/{NS}/pods") as r:
        return len(json.loads(await r.read())["items"])


async def _median_async(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def _updates(client: Client, count: int, start: int, pods: int) -> None:
    async def touch(i):
        await client.patch("Pod", f"p-{i % pods:05d}", {"metadata": {"labels": {"n": str(start + i)}}}, NS)
    await _bounded([lambda i=i: touch(i) for i in range(count)])


async def _watch_rate_http(session, base: str, client: Client, count: int, start: int, pods: int) -> float:
    _, rv = await client.list("Pod", NS)
    url = f"{base}/api/v1/namespaces/{NS}/pods?watch=true&resourceVersion={rv}"
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as r:
        writer = asyncio.create_task(_updates(client, count, start, pods))
        seen, t0 = 0, time.perf_counter()
        while seen < count:
            json.loads(await r.content.readline())
            seen += 1
        elapsed = time.perf_counter() - t0
        await writer
    return count / elapsed


async def _watch_rate_grpc(client: Client, count: int, start: int, pods: int) -> float:
    _, rv = await client.list("Pod", NS)
    seen, t0 = 0, time.perf_counter()
    writer = asyncio.create_task(_updates(client, count, start, pods))
    async for _ in client.watch("Pod", NS, resource_version=rv):
        seen += 1
        if seen >= count:
            break
    elapsed = time.perf_counter() - t0
    await writer
    return count / elapsed


async def measure(pods: int, events: int, http: str, grpc_addr: str, env: dict) -> list[tuple[str, str, str]]:
    rows = []
    async with Client(grpc_addr) as client, aiohttp.ClientSession() as session:
        ns = core_pb2.Namespace()
        ns.metadata.name = NS
        await client.create(ns)
        await _bounded([lambda i=i: client.create(_pod(i)) for i in range(pods)])
        kubectl = _median_wall([kubectl_binary(), "get", "pods", "-n", NS], env)
        kubelab = _median_wall([sys.executable, "-m", "kubelab.cli", "--server", grpc_addr, "get", "pods", "-n", NS],
                               env)
        rows.append((f"`get pods`, {pods} pods, wall time", f"{kubectl:.2f} s (kubectl)", f"{kubelab:.2f} s (kubelab)"))
        base = f"http://{http}"
        h = await _median_async(lambda: _list_http(session, base))
        g = await _median_async(lambda: client.list("Pod", NS))
        rows.append((f"List {pods} pods", f"{h * 1000:.0f} ms ({pods / h:,.0f} obj/s)",
                     f"{g * 1000:.0f} ms ({pods / g:,.0f} obj/s)"))
        hw = await _watch_rate_http(session, base, client, events, 0, pods)
        gw = await _watch_rate_grpc(client, events, events, pods)
        rows.append((f"watch, {events} updates by 32 clients", f"{hw:,.0f} events/s", f"{gw:,.0f} events/s"))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http")
    p.add_argument("--pods", type=int, default=1000)
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--markdown", action="store_true")
    a = p.parse_args(argv)
    redis = RedisProcess().start()
    port = free_port()
    server = ApiServerProcess(redis.url, "--http-listen", f"127.0.0.1:{port}").start()
    try:
        with tempfile.TemporaryDirectory() as home:
            config = os.path.join(home, "kubeconfig")
            with open(config, "w") as f:
                yaml.safe_dump(kubeconfig(f"127.0.0.1:{port}"), f)
            env = {**os.environ, "KUBECONFIG": config, "HOME": home}
            rows = asyncio.run(measure(a.pods, a.events, f"127.0.0.1:{port}", server.address, env))
    finally:
        server.stop()
        redis.stop()
    head = ("measure", "HTTP", "gRPC")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if a.markdown:
        print("| " + " | ".join(head) + " |\n|---|---|---|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in (head, *rows):
            print(f"{r[0]:<40} {r[1]:<28} {r[2]}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
