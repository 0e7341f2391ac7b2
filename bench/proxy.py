"""Service proxy benchmark: ``python -m bench.proxy [--connections 2000] [--markdown]``.

TCP connection setup latency, one connection = connect + one request/response + close, through a
ClusterIP and directly to the endpoint, in the same run against the same server (a threaded TCP server in
a pod's network namespace on a bridge of its own, as the kubelet makes them), in both proxy modes: the kernel's DNAT (nftables) and the userspace relay. The two paths
are measured in alternating blocks so that a busy moment of the machine falls on both. Real API server on
a real Redis, the real proxy process.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import socket
import statistics
import sys
import time

from kubelab.client import Client
from tests.integration.proxy.conftest import (Backends, ProxyProcess, cluster_ip, endpoint_slice, reaches,
                                              service, unique)
from tests.support import ApiServerProcess, RedisProcess

BLOCK = 100


def one_connection(ip: str, port: int) -> float:
    start = time.perf_counter()
    with socket.create_connection((ip, port), timeout=5) as s:
        s.sendall(b"hello\n")
        if not s.recv(1024):
            raise RuntimeError(f"{ip}:{port} closed without an answer")
    return time.perf_counter() - start


def measure(paths: dict[str, tuple[str, int]], n: int) -> dict[str, list[float]]:
    out = {name: [] for name in paths}
    for _ in range(0, n, BLOCK):
        for name, (ip, port) in paths.items():
            out[name] += [one_connection(ip, port) for _ in range(BLOCK)]
    return out


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] * 1e6


async def run_mode(api: str, mode: str, n: int, backends: Backends) -> dict:
    proxy = ProxyProcess(api, mode, "b" + secrets.token_hex(4)[:7]).start()
    try:
        ep_ip, ep_port = backends.start()
        name, ip = unique("bench"), cluster_ip()
        async with Client(api, retry_deadline=20) as client:
            await client.create(service(name, ip, [("http", 80, "TCP")]))
            await client.create(endpoint_slice(name, [(ep_ip, {"ready": True})], [("http", ep_port, "TCP")]))
            await reaches(ip, 80, f"{ep_ip}:{ep_port}")
        times = await asyncio.to_thread(measure, {"direct": (ep_ip, ep_port), "clusterip": (ip, 80)}, n)
    finally:
        proxy.stop()
        proxy.cleanup()
    return {path: {"p50": pct(xs, 50), "p99": pct(xs, 99)} for path, xs in times.items()}


async def run(n: int) -> dict:
    redis = RedisProcess().start()
    api = ApiServerProcess(redis.url).start()
    backends = Backends()
    try:
        return {mode: await run_mode(api.address, mode, n, backends) for mode in ("nftables", "userspace")}
    finally:
        backends.stop()
        api.stop()
        redis.stop()


def markdown(result: dict, n: int) -> str:
    lines = [f"{n} connections per path and mode (connect + one request/response + close), sequential; "
             f"{platform.machine()}, Python {platform.python_version()}.", "",
             "| mode | direct p50 (µs) | ClusterIP p50 (µs) | ratio p50 | direct p99 (µs) | ClusterIP p99 (µs) "
             "| ratio p99 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for mode, r in result.items():
        d, c = r["direct"], r["clusterip"]
        lines.append(f"| {mode} | {d['p50']:.0f} | {c['p50']:.0f} | {c['p50'] / d['p50']:.2f} | {d['p99']:.0f} "
                     f"| {c['p99']:.0f} | {c['p99'] / d['p99']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.proxy")
    p.add_argument("--connections", type=int, default=2000, help="connections per path and mode")
    p.add_argument("--markdown", action="store_true", help="print the table for docs/benchmarks.md")
    args = p.parse_args()
    result = asyncio.run(run(args.connections))
    if args.markdown:
        print(markdown(result, args.connections))
    else:
        for mode, r in result.items():
            print(f"mode={mode} " + " ".join(f"{path}_{k}_us={v:.0f}" for path, q in r.items() for k, v in q.items()),
                  file=sys.stdout)


if __name__ == "__main__":
    main()
