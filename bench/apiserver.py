"""API server benchmark: ``python -m bench.apiserver [--quick] [--markdown] [--json PATH] [--per-event]
[--workers N,N] [--only-workers] [--only-watch BUDGET,BUDGET]``.

One run starts a Redis, a bare grpc.aio server and the API servers, and measures every figure of
issue 2 beside a baseline taken in the same run on the same machine:

- baselines: a bare grpc.aio echo server in its own process (unary, bytes in, the same bytes out,
  request of a Pod create's size, 32 concurrent clients on one channel, the client doing the same
  message building and parsing as ``Client.create``); raw Redis through redis.asyncio (HSET of the
  stored Pod bytes, and the store's create path: the namespace read + the Lua CAS write);
- creates/s and updates/s through one API server, 32 concurrent clients (target >= 0.5 x echo);
- the same through two API servers on one Redis, 16 clients each (target: more than one gives);
- watch delivery latency, write acknowledgement -> event receipt, 100 watchers spread over
  subprocesses reading WatchBatched (what ``Client.watch`` uses), 500 writes/s (target p99 < 50 ms),
  beside the same fan-out through the bare grpc.aio server (a Publish unary that every
  SubscribeBatched stream receives, same payload, batched with the API server's bounds);
  ``--per-event`` watches with Watch and Subscribe instead, one event per stream message;
- List of 10,000 pods, client-side call, median (target < 0.3 s), beside the same response bytes
  served by the bare server and decoded the same way;
- API server RSS with 10,000 pods (target < 400 MB), beside its RSS when empty.

``--only-watch 0,4000`` runs only the baselines and the watch latency, once per
``--watch-message-budget`` given, each on a fresh API server (0: the fixed batch window); ``--only-workers``
only the baselines and the creates and updates per ``--workers`` count.

The load runs in this process; the clocks of write acknowledgement and event receipt are both
``time.time()`` on this machine. ``--quick`` runs a small version of everything (a smoke test).
The internal modes ``--serve-echo`` and ``--watchers`` are the subprocesses this run starts.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import redis.asyncio as aioredis

from bench.procstat import cpu_seconds, machine_busy_seconds
from kubelab import manifest
from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2 as pb
from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import is_gone
from services.apiserver.servicer import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, Pacer, Pacing
from services.apiserver.store import Store
from kubelab.cluster.procs import children
from tests.support import ROOT, ApiServerProcess, RedisProcess, accepted_connections, free_port

CONCURRENCY = 32
ECHO = "/bench.Echo/Echo"
PUBLISH = "/bench.Echo/Publish"
SUBSCRIBE = "/bench.Echo/Subscribe"
SUBSCRIBE_BATCHED = "/bench.Echo/SubscribeBatched"
PUT = "/bench.Echo/Put"
GET = "/bench.Echo/Get"
WATCH = "/kubelab.v1.ApiServer/Watch"
WATCH_BATCHED = "/kubelab.v1.ApiServer/WatchBatched"
LIST = "/kubelab.v1.ApiServer/List"
# The API server's own server options (services/apiserver/__main__.py), so the bare server differs
# only by doing nothing.
SERVER_OPTIONS = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 256 << 20),
                  ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.min_ping_interval_without_data_ms", 5000),
                  ("grpc.http2.max_ping_strikes", 0)]
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 64 << 20)]


@dataclass(frozen=True)
class Sizes:
    pods: int  # created then updated through one API server; listed; its memory
    pods_two: int  # created then updated through two API servers
    rate_seconds: float  # length of each time-boxed baseline (echo, Redis)
    watchers: int
    watcher_procs: int
    watch_rate: int  # writes/s: the target's load
    watch_rate_low: int  # writes/s: a load this machine carries, to show latency below saturation
    watch_seconds: float
    list_repeats: int


FULL = Sizes(pods=10_000, pods_two=10_000, rate_seconds=5.0, watchers=100, watcher_procs=4, watch_rate=500, watch_rate_low=100,
             watch_seconds=10.0, list_repeats=5)
QUICK = Sizes(pods=300, pods_two=300, rate_seconds=0.7, watchers=8, watcher_procs=2, watch_rate=100, watch_rate_low=50,
              watch_seconds=1.5, list_repeats=3)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The workload object: a Pod as a StatefulSet would stamp it out.

def bench_pod(ns: str = "bench") -> core_pb2.Pod:
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": ns,
                     "labels": {"app": "web", "tier": "frontend", "controller-revision-hash": "web-7d9f8c6b5",
                                "statefulset.kubernetes.io/pod-name": "web-0"},
                     "annotations": {"kubelab.io/bench": "apiserver"}},
        "spec": {
            "containers": [{
                "name": "nginx", "image": "registry.k8s.io/nginx-slim:0.8",
                "ports": [{"containerPort": 80, "name": "web"}],
                "env": [{"name": "MODE", "value": "bench"}, {"name": "LOG_LEVEL", "value": "info"}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                              "limits": {"cpu": "500m", "memory": "128Mi"}},
                "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            }],
            "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}],
            "hostname": "web-0", "subdomain": "nginx",
        },
    })


def named(template: core_pb2.Pod, name: str, ns: str = "bench") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.CopyFrom(template)
    p.metadata.name = name
    p.metadata.namespace = ns
    return p


# --------------------------------------------------------------------------------------------
# The bare grpc.aio server (its own process).

class Subscriber:
    """One Subscribe stream's queue: a deque and a wake-up, as the API server's Watcher."""

    def __init__(self):
        self.queue: deque[bytes] = deque()
        self.wake = asyncio.Event()

    def push(self, message: bytes) -> None:
        self.queue.append(message)
        self.wake.set()

    async def next(self) -> bytes:
        while not self.queue:
            self.wake.clear()
            await self.wake.wait()
        return self.queue.popleft()

    def drain(self, max_events: int, max_bytes: int) -> list[bytes]:
        out = []
        while self.queue and len(out) < max_events and len(self.queue[0]) <= max_bytes:
            max_bytes -= len(self.queue[0])
            out.append(self.queue.popleft())
        return out


def batch_entry(event: bytes) -> bytes:
    """A serialized WatchEvent as one entry (field 1) of a WatchEventBatch."""
    return b"\x0a" + _encode_varint(len(event)) + event


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


async def serve_echo(port: int) -> None:
    subscribers: set[Subscriber] = set()
    pacing = Pacing()  # the API server's default window and message budget, shared by the streams
    blob = [b""]
    hello = pb.WatchEvent(type="BOOKMARK").SerializeToString()

    async def echo(request: bytes, context) -> bytes:
        return request

    async def publish(request: bytes, context) -> bytes:
        for s in subscribers:
            s.push(request)
        return b""

    async def subscribe(request: bytes, context):
        s = Subscriber()
        subscribers.add(s)
        try:
            yield hello
            while True:
                yield await s.next()
        finally:
            subscribers.discard(s)

    async def subscribe_batched(request: bytes, context):
        """What the queue holds, in one WatchEventBatch, with the API server's bounds and pacing (as WatchBatched)."""
        s = Subscriber()
        subscribers.add(s)
        try:
            yield batch_entry(hello)
            pacer = Pacer(pacing)
            try:
                while True:
                    first = await s.next()
                    await pacer.wait()
                    rest = s.drain(MAX_BATCH_EVENTS - 1, MAX_BATCH_BYTES - len(first))
                    yield b"".join(batch_entry(m) for m in (first, *rest))
                    pacer.sent()
            finally:
                pacer.close()
        finally:
            subscribers.discard(s)

    async def put(request: bytes, context) -> bytes:
        blob[0] = request
        return b""

    async def get(request: bytes, context) -> bytes:
        return blob[0]

    handlers = {"Echo": grpc.unary_unary_rpc_method_handler(echo),
                "Publish": grpc.unary_unary_rpc_method_handler(publish),
                "Subscribe": grpc.unary_stream_rpc_method_handler(subscribe),
                "SubscribeBatched": grpc.unary_stream_rpc_method_handler(subscribe_batched),
                "Put": grpc.unary_unary_rpc_method_handler(put),
                "Get": grpc.unary_unary_rpc_method_handler(get)}
    server = grpc.aio.server(options=SERVER_OPTIONS)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bench.Echo", handlers)])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


class EchoProcess:
    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EchoProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.apiserver", "--serve-echo", str(self.port)],
                                     cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"echo server did not start: {line!r}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


# --------------------------------------------------------------------------------------------
# Process accounting from /proc.


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name} for pid {pid}")


class CpuMeter:
    """Cores each named process kept busy while in the with-block, and what everything else used.

    The machine may be shared: ``others`` is the machine's busy time less the named processes', so a
    figure taken while something else ran says so.
    """

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.result: dict[str, float] = {}

    def __enter__(self) -> "CpuMeter":
        self.t0 = time.monotonic()
        self.m0 = machine_busy_seconds()
        self.c0 = {n: cpu_seconds(p) for n, p in self.pids.items()}
        return self

    def __exit__(self, *exc) -> None:
        dt = time.monotonic() - self.t0
        self.result = {n: (cpu_seconds(p) - self.c0[n]) / dt for n, p in self.pids.items()}
        self.others = max(0.0, (machine_busy_seconds() - self.m0) / dt - sum(self.result.values()))

    def text(self) -> str:
        return ", ".join(f"{n} {v:.2f}" for n, v in self.result.items()) + f", other processes {self.others:.2f}"

    def us_per_op(self, rate: float, *names: str) -> float:
        """CPU microseconds the named processes spent per operation (robust to a shared machine)."""
        return sum(self.result[n] for n in names) / rate * 1e6


# --------------------------------------------------------------------------------------------
# Load shapes.

async def closed_loop(op, concurrency: int, *, count: int | None = None, seconds: float | None = None,
                      worker_arg=lambda w: None) -> tuple[int, float]:
    """concurrency workers calling op(i, arg) back to back: count calls, or as many as fit in seconds."""
    counter = itertools.count()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    deadline = t0 + seconds if seconds is not None else None
    done = 0

    async def worker(w: int):
        nonlocal done
        arg = worker_arg(w)
        while True:
            if deadline is not None and loop.time() >= deadline:
                return
            i = next(counter)
            if count is not None and i >= count:
                return
            await op(i, arg)
            done += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return done, loop.time() - t0


async def paced(op, rate: int, seconds: float, max_in_flight: int = CONCURRENCY) -> tuple[int, float]:
    """Open loop: start op(i) every 1/rate s (at most max_in_flight pending); returns (done, elapsed)."""
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(max_in_flight)
    n = int(rate * seconds)
    tasks = []

    async def one(i):
        try:
            await op(i)
        finally:
            sem.release()

    t0 = loop.time()
    for i in range(n):
        delay = t0 + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await sem.acquire()
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return n, loop.time() - t0


# --------------------------------------------------------------------------------------------
# Watchers (subprocesses): open N streams, stamp time.time() on every event, report on request.

async def run_watchers(target: str, mode: str, count: int, out: str, namespace: str = "watch",
                       per_event: bool = False) -> None:
    """per_event: Watch and Subscribe, one event per message; else WatchBatched and SubscribeBatched."""
    channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
    message = pb.WatchEvent if per_event else pb.WatchEventBatch
    if mode == "apiserver":
        method = channel.unary_stream(WATCH if per_event else WATCH_BATCHED,
                                      request_serializer=pb.WatchRequest.SerializeToString,
                                      response_deserializer=message.FromString)

        def open_stream(rv: str):
            return method(pb.WatchRequest(kind="Pod", namespace=namespace, resource_version=rv))
    else:
        method = channel.unary_stream(SUBSCRIBE if per_event else SUBSCRIBE_BATCHED, request_serializer=None,
                                      response_deserializer=message.FromString)

        def open_stream(rv: str):
            return method(b"")

    loop = asyncio.get_running_loop()
    stop_at = [1 << 62]
    ready = [0]
    all_ready = asyncio.Event()
    finished = [0]
    done = [False] * count
    all_finished = asyncio.Event()
    stats = {"cut_off": 0, "expired": 0, "errors": [], "messages": 0}
    records = [(array("q"), array("d")) for _ in range(count)]

    async def watcher(k: int):
        rvs, times = records[k]
        last = ""
        first = True
        while True:
            call = open_stream(last)
            try:
                async for msg in call:
                    t = time.time()
                    stats["messages"] += 1
                    if first:
                        first = False
                        ready[0] += 1
                        if ready[0] == count:
                            all_ready.set()
                    for ev in (msg,) if per_event else msg.events:
                        if ev.type == "BOOKMARK" or not ev.resource_version:
                            continue
                        rv = int(ev.resource_version)
                        rvs.append(rv)
                        times.append(t)
                        last = ev.resource_version
                        if rv >= stop_at[0] and not done[k]:
                            done[k] = True
                            finished[0] += 1
                            if finished[0] == count:
                                all_finished.set()
                return
            except grpc.aio.AioRpcError as e:
                if e.code() == grpc.StatusCode.CANCELLED:
                    return
                stats["cut_off"] += 1
                expired = is_gone(e)
                if expired or mode != "apiserver":
                    stats["expired"] += expired
                    stats["errors"].append(f"{e.code().name}: {e.details()}")
                    return
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(watcher(k)) for k in range(count)]
    await all_ready.wait()
    print("ready", flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)
    last_key, timeout = line.split()
    stop_at[0] = int(last_key)
    for k in range(count):  # events seen before the stop mark arrived
        if records[k][0] and records[k][0][-1] >= stop_at[0] and not done[k]:
            done[k] = True
            finished[0] += 1
    if finished[0] >= count:
        all_finished.set()
    try:
        await asyncio.wait_for(all_finished.wait(), float(timeout))
    except asyncio.TimeoutError:
        stats["errors"].append(f"drain timeout: {count - finished[0]} watchers short of the last event")
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with open(out, "wb") as f:
        pickle.dump([(r.tobytes(), t.tobytes()) for r, t in records], f)
    print(json.dumps(stats), flush=True)
    await channel.close()


@dataclass
class WatchResult:
    writes: int
    write_rate: float
    watchers: int
    received: int
    expected: int
    p50: float
    p99: float
    max: float
    cut_off: int
    messages: int = 0  # stream messages the watchers received
    events: int = 0  # events in them (those before and after the timed writes too)
    write_p50: float = 0.0
    write_p99: float = 0.0
    errors: list[str] = field(default_factory=list)
    cpu: str = ""


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


async def watch_latency(target: str, mode: str, sizes: Sizes, rate: int, write, cpu_pids: dict[str, int],
                        namespace: str = "watch", per_event: bool = False) -> WatchResult:
    """sizes.watchers streams in sizes.watcher_procs subprocesses; write(i) -> key, paced at rate.

    The watchers open their streams first (each has had its first event, the marker, before the
    writes start); the write's acknowledgement and each receipt are stamped with time.time().
    """
    tmp = Path(tempfile.mkdtemp(prefix="kl-bench-watch-"))
    per = [sizes.watchers // sizes.watcher_procs + (i < sizes.watchers % sizes.watcher_procs)
           for i in range(sizes.watcher_procs)]
    procs = []
    for i, n in enumerate(per):
        procs.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.apiserver", "--watchers", target, "--mode", mode, "--count", str(n),
            "--out", str(tmp / f"w{i}.pkl"), "--namespace", namespace, *(["--per-event"] if per_event else []),
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
    try:
        for p in procs:
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            if line.strip() != b"ready":
                raise RuntimeError(f"watcher process did not start: {line!r}")
        acks: dict[int, float] = {}
        write_latencies: list[float] = []

        async def op(i):
            t0 = time.perf_counter()
            key = await write(i)
            acks[key] = time.time()
            write_latencies.append(time.perf_counter() - t0)

        pids = {**cpu_pids, **{f"watchers{i}": p.pid for i, p in enumerate(procs)}}
        with CpuMeter(pids) as meter:
            n, elapsed = await paced(op, rate, sizes.watch_seconds)
        drain = 30.0 if sizes is FULL else 10.0
        stats = []
        for p in procs:
            p.stdin.write(f"{max(acks)} {drain}\n".encode())
            await p.stdin.drain()
        for p in procs:
            stats.append(json.loads(await asyncio.wait_for(p.stdout.readline(), drain + 30)))
            await p.wait()
        latencies: list[float] = []
        received = events = 0
        for i in range(len(procs)):
            with open(tmp / f"w{i}.pkl", "rb") as f:
                for rv_bytes, t_bytes in pickle.load(f):
                    rvs, times = array("q"), array("d")
                    rvs.frombytes(rv_bytes)
                    times.frombytes(t_bytes)
                    events += len(rvs)
                    seen = set()
                    for rv, t in zip(rvs, times):
                        if rv in acks and rv not in seen:
                            seen.add(rv)
                            latencies.append(t - acks[rv])
                    received += len(seen)
        latencies.sort()
        return WatchResult(writes=n, write_rate=n / elapsed, watchers=sizes.watchers, received=received,
                           expected=len(acks) * sizes.watchers, p50=percentile(latencies, 0.5),
                           p99=percentile(latencies, 0.99), max=latencies[-1] if latencies else float("nan"),
                           cut_off=sum(s["cut_off"] for s in stats),
                           messages=sum(s["messages"] for s in stats), events=events,
                           write_p50=percentile(sorted(write_latencies), 0.5),
                           write_p99=percentile(sorted(write_latencies), 0.99),
                           errors=sorted({e for s in stats for e in s["errors"]}), cpu=meter.text())
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The figures.

@dataclass
class Row:
    key: str
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def add(self, *args, **kw) -> None:
        self.rows.append(Row(*args, **kw))


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}/s"


def fmt_ms(x: float) -> str:
    return f"{x * 1000:,.1f} ms"


def per_message(w: WatchResult, rpc: str) -> str:
    return f"{rpc}, {w.events / max(w.messages, 1):.1f} events per stream message"


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


async def baselines(sizes: Sizes, echo_addr: str, redis_url: str, template: core_pb2.Pod, res: Results,
                    pids: dict[str, int]) -> None:
    # The bare gRPC server, driven exactly as Client.create drives the API server.
    async with Client(echo_addr) as c:
        echo = c.channel.unary_unary(ECHO, request_serializer=pb.WriteRequest.SerializeToString,
                                     response_deserializer=pb.WriteRequest.FromString)

        async def call(i, _):
            req = pb.WriteRequest(object=registry.wrap(named(template, f"echo-{i}")), request_id=uuid.uuid4().hex)
            registry.unwrap((await echo(req, timeout=30.0)).object)

        await closed_loop(call, CONCURRENCY, seconds=min(1.0, sizes.rate_seconds))  # warm-up
        with CpuMeter({"echo server": pids["echo"], "bench client": os.getpid()}) as m:
            done, elapsed = await closed_loop(call, CONCURRENCY, seconds=sizes.rate_seconds)
    req_size = pb.WriteRequest(object=registry.wrap(named(template, "echo-0000")), request_id=uuid.uuid4().hex).ByteSize()
    res.raw["echo"] = done / elapsed
    res.raw["echo_cpu_us"] = m.us_per_op(done / elapsed, "echo server")
    res.raw["request_bytes"] = req_size
    res.add("echo", f"grpc.aio echo server, {CONCURRENCY} clients, {req_size} B", fmt_rate(done / elapsed),
            note=f"server CPU {res.raw['echo_cpu_us']:,.0f} us/call; cores: {m.text()}")

    # Raw Redis, on a database of its own.
    r = aioredis.Redis.from_url(redis_url)
    data = named(template, "p-0000").SerializeToString()

    async def hset(i, _):
        await r.hset("bench:obj", f"bench/p-{i}", data)

    await closed_loop(hset, CONCURRENCY, seconds=min(1.0, sizes.rate_seconds))
    with CpuMeter({"redis": pids["redis"], "bench client": os.getpid()}) as m:
        done, elapsed = await closed_loop(hset, CONCURRENCY, seconds=sizes.rate_seconds)
    res.raw["redis_hset"] = done / elapsed
    res.add("redis_hset", f"Redis HSET (redis.asyncio), {CONCURRENCY} clients", fmt_rate(done / elapsed),
            note=f"cores: {m.text()}")
    await r.flushdb()
    await r.aclose()

    store = Store(redis_url, history=10_000)
    ns = core_pb2.Namespace()
    ns.metadata.name = "bench"
    await store.create("Namespace", "bench", ns.SerializeToString())

    names = itertools.count()

    async def store_create(i, _):
        await store.get("Namespace", "bench")
        await store.create("Pod", f"bench/p-{next(names)}", data, uuid.uuid4().hex)

    await closed_loop(store_create, CONCURRENCY, seconds=min(1.0, sizes.rate_seconds))
    with CpuMeter({"redis": pids["redis"], "bench client": os.getpid()}) as m:
        done, elapsed = await closed_loop(store_create, CONCURRENCY, seconds=sizes.rate_seconds)
    res.raw["redis_store"] = done / elapsed
    res.add("redis_store", f"Redis, the store's create path (namespace read + Lua CAS write), {CONCURRENCY} clients",
            fmt_rate(done / elapsed), note=f"cores: {m.text()}")
    await store.redis.flushdb()
    await store.close()


async def create_and_update(clients: list[Client], ns: str, count: int, template: core_pb2.Pod,
                            pids: dict[str, int]) -> tuple[float, float, str, str]:
    """count creates then count updates, CONCURRENCY workers spread evenly over clients."""
    created: list = [None] * count

    def client_of(w: int) -> Client:
        return clients[w * len(clients) // CONCURRENCY]

    async def create(i, c):
        created[i] = await c.create(named(template, f"web-{i}", ns))

    async def update(i, c):
        p = created[i]
        p.metadata.labels["bench-round"] = "1"
        created[i] = await c.update(p)

    with CpuMeter(pids) as mc:
        done, elapsed = await closed_loop(create, CONCURRENCY, count=count, worker_arg=client_of)
    create_rate = done / elapsed
    with CpuMeter(pids) as mu:
        done, elapsed = await closed_loop(update, CONCURRENCY, count=count, worker_arg=client_of)
    return create_rate, done / elapsed, mc, mu


WORKER_CLIENTS = 16  # channels (TCP connections) the CONCURRENCY callers share in the workers phase


def wait_workers(server: ApiServerProcess, count: int, timeout: float = 60.0) -> list[int]:
    """The pids of a `--workers count` API server's processes, once each has logged that it serves."""
    deadline = time.monotonic() + timeout
    while True:
        kids = children(server.proc.pid)
        if len(kids) == count - 1 and server.logs().count('msg="started"') == count:
            return [server.proc.pid, *kids]
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not start: {server.logs()[-2000:]}")
        time.sleep(0.05)


async def workers_phase(sizes: Sizes, counts: list[int], base: str, template: core_pb2.Pod, res: Results,
                        redis_pid: int, servers: list[ApiServerProcess]) -> None:
    """Creates then updates through one API server run with `--workers N`, for each N, on a Redis database
    emptied first: CONCURRENCY callers over WORKER_CLIENTS channels, which the kernel spreads over the
    workers by connection; the rates beside the echo server's and the one-worker run's."""
    import redis as sync_redis
    echo_rate, echo_us = res.raw["echo"], res.raw["echo_cpu_us"]
    first: tuple[float, float] | None = None
    for n in counts:
        url = f"{base}/2"
        sync_redis.Redis.from_url(url).flushdb()
        server = ApiServerProcess(url, "--workers", str(n)).start()
        servers.append(server)
        pids = await asyncio.to_thread(wait_workers, server, n)
        clients = [Client(server.address) for _ in range(WORKER_CLIENTS)]
        try:
            ns = core_pb2.Namespace()
            ns.metadata.name = "bench"
            await clients[0].create(ns)
            for c in clients:  # every channel connected (and so placed on a worker), every worker warm
                for i in range(10):
                    await c.get("Namespace", "bench")
            spread = sorted((len(v) for v in accepted_connections(server.port, pids).values()), reverse=True)
            meter = {**{f"worker {i}": pid for i, pid in enumerate(pids)}, "redis": redis_pid,
                     "bench client": os.getpid()}
            log(f"--workers {n}: creating and updating {sizes.pods_two} pods, {CONCURRENCY} callers on "
                f"{WORKER_CLIENTS} channels (connections per worker {spread})")
            cr, ur, mc, mu = await create_and_update(clients, "bench", sizes.pods_two, template, meter)
        finally:
            for c in clients:
                await c.close()
            server.stop()
        names = [f"worker {i}" for i in range(n)]
        cus, uus = mc.us_per_op(cr, *names), mu.us_per_op(ur, *names)
        base_c, base_u = first or (cr, ur)
        for verb, rate, us, m, one in (("creates", cr, cus, mc, base_c), ("updates", ur, uus, mu, base_u)):
            res.add(f"{verb}_workers_{n}", f"{verb}/s, --workers {n}, {CONCURRENCY} callers on {WORKER_CLIENTS} "
                    "channels", fmt_rate(rate), f"echo {fmt_rate(echo_rate)}", f"{rate / echo_rate:.2f}",
                    ">= 0.50 x echo", yes(rate >= 0.5 * echo_rate),
                    note=f"{rate / one:.2f} x --workers {counts[0]}; workers' CPU {us:,.0f} us/call "
                         f"({us / echo_us:.1f} x echo); connections per worker {spread}; cores: {m.text()}")
        res.raw[f"workers_{n}"] = {"create": cr, "update": ur, "create_cpu_us": cus, "update_cpu_us": uus,
                                   "connections": spread}
        first = first or (cr, ur)


async def watch_phase(sizes: Sizes, per_event: bool, echo: "EchoProcess", c: Client, server: ApiServerProcess,
                      redis_pid: int, fans: dict, watches: dict, budget: float | None = None,
                      rates: tuple[int, ...] | None = None) -> None:
    """The watch latency at each rate: the bare fan-out (once per rate), then the API server's; results
    keyed (rate, budget), budget None for the server's default."""
    template = bench_pod()
    wrapped = registry.wrap(named(template, "web-0"))
    async with Client(echo.address) as ec:
        publish = ec.channel.unary_unary(PUBLISH)

        async def pub(i):
            await publish(pb.WatchEvent(type="ADDED", object=wrapped, resource_version=str(i + 1))
                          .SerializeToString(), timeout=30.0)
            return i + 1

        for rate in rates or (sizes.watch_rate, sizes.watch_rate_low):
            if rate not in fans:
                log(f"watch: {sizes.watchers} watchers at {rate} writes/s, bare grpc.aio")
                fans[rate] = await watch_latency(echo.address, "fanout", sizes, rate, pub,
                                                 {"echo server": echo.proc.pid, "bench client": os.getpid()},
                                                 per_event=per_event)
            log(f"watch: {sizes.watchers} watchers at {rate} writes/s, the apiserver"
                + (f" (--watch-message-budget {budget:g})" if budget is not None else ""))
            ns = core_pb2.Namespace()
            ns.metadata.name = f"watch-{rate}" + (f"-b{budget:g}" if budget is not None else "")
            await c.create(ns)
            await c.create(named(template, "marker", ns.metadata.name))

            async def write(i, ns=ns.metadata.name):
                p = await c.create(named(template, f"w-{i}", ns))
                return int(p.metadata.resource_version)

            watches[(rate, budget)] = await watch_latency(
                server.address, "apiserver", sizes, rate, write,
                {"apiserver": server.proc.pid, "redis": redis_pid, "bench client": os.getpid()},
                namespace=ns.metadata.name, per_event=per_event)


async def watch_only(sizes: Sizes, per_event: bool, budgets: list[float], echo: "EchoProcess", base: str,
                     res: Results, redis_pid: int, servers: list[ApiServerProcess], fans: dict, watches: dict) -> None:
    """--only-watch: the watch phase alone, once per message budget, each on a fresh API server, the
    budgets taking turns rate by rate so that they meet the same machine."""
    res.raw["cached_pods"] = 0
    for rate in (sizes.watch_rate, sizes.watch_rate_low):
        for budget in budgets:
            server = ApiServerProcess(base + "/0", "--watch-message-budget", f"{budget:g}").start()
            servers.append(server)
            try:
                async with Client(server.address) as c:
                    await watch_phase(sizes, per_event, echo, c, server, redis_pid, fans, watches, budget, (rate,))
            finally:
                server.stop()


def watch_rows(res: Results, sizes: Sizes, per_event: bool, fans: dict, watches: dict) -> None:
    """The watch figures: each rate's bare fan-out once, then each API server run at that rate."""
    shown: set[int] = set()
    for (rate, budget), wr in watches.items():
        fan = fans[rate]
        low = ("_low" if rate == sizes.watch_rate_low else "") + (f"_budget{budget:g}" if budget is not None else "")
        shape = f"{sizes.watchers} watchers, {rate} writes/s, {res.raw['cached_pods']:,} pods cached"
        if budget is not None:
            shape += f", --watch-message-budget {budget:g}"
        if rate not in shown:
            shown.add(rate)
            res.add("fanout" + ("_low" if rate == sizes.watch_rate_low else ""),
                    f"bare grpc.aio fan-out, {sizes.watchers} subscribers, {rate} publishes/s",
                    f"p50 {fmt_ms(fan.p50)} p99 {fmt_ms(fan.p99)} max {fmt_ms(fan.max)}",
                    note=f"received {fan.received:,}/{fan.expected:,}; published at {fan.write_rate:,.0f}/s "
                         f"(publish p50 {fmt_ms(fan.write_p50)}, p99 {fmt_ms(fan.write_p99)}); "
                         f"{per_message(fan, 'Subscribe' if per_event else 'SubscribeBatched')}; cores: {fan.cpu}")
            res.raw[f"fanout_{rate}"] = fan.__dict__
        reached = wr.write_rate >= 0.97 * rate
        for q, v, b in (("p50", wr.p50, fan.p50), ("p99", wr.p99, fan.p99), ("max", wr.max, fan.max)):
            target = q == "p99" and rate == sizes.watch_rate
            met = ""
            if target:  # the latency target holds only at the load it names
                met = yes(v < 0.05) if reached else f"NO (load not reached: {wr.write_rate:,.0f} writes/s)"
            note = ""
            if q == "p50" and abs(wr.write_rate - fan.write_rate) > 0.05 * rate:
                note = (f"not the same load: the apiserver took {wr.write_rate:,.0f} writes/s, "
                        f"the bare server {fan.write_rate:,.0f} publishes/s")
            res.add(f"watch{low}_{q}", f"watch latency {q}, ack -> receipt, {shape}", fmt_ms(v), f"bare {fmt_ms(b)}",
                    f"{v / b:.1f}" if b > 0 else "", "< 50 ms" if target else "", met, note=note)
        res.add(f"watch{low}_received", f"watch events received / expected, {shape}",
                f"{wr.received:,}/{wr.expected:,} ({100 * wr.received / max(wr.expected, 1):.1f}%)",
                f"bare {fan.received:,}/{fan.expected:,}", "", "all", yes(wr.received == wr.expected),
                note=f"{per_message(wr, 'Watch' if per_event else 'WatchBatched')}; streams cut off and resumed: "
                     f"{wr.cut_off}" + (f"; {'; '.join(wr.errors)}" if wr.errors else ""))
        res.add(f"watch{low}_rate", f"writes/s achieved during the watch test, {shape}", fmt_rate(wr.write_rate),
                f"bare {fmt_rate(fan.write_rate)}", f"{wr.write_rate / fan.write_rate:.2f}",
                f">= {rate}/s asked", yes(wr.write_rate >= 0.97 * rate),
                note=f"create p50 {fmt_ms(wr.write_p50)}, p99 {fmt_ms(wr.write_p99)} ({CONCURRENCY} in flight at most); "
                     f"cores: {wr.cpu}")
        res.raw[f"watch_{rate}" + (f"_budget{budget:g}" if budget is not None else "")] = wr.__dict__


async def measure(sizes: Sizes, per_event: bool = False, workers: list[int] | None = None,
                  only_workers: bool = False, budgets: list[float] | None = None) -> Results:
    res = Results()
    template = bench_pod()
    redis_proc = RedisProcess(persistent=False).start()
    # As `kubelab up` runs it: append-only file, fsync every second.
    import redis as sync_redis
    admin = sync_redis.Redis(port=redis_proc.port)
    admin.config_set("appendonly", "yes")
    admin.config_set("appendfsync", "everysec")
    res.raw["redis_version"] = admin.info("server")["redis_version"]
    base = redis_proc.url.rsplit("/", 1)[0]
    echo = EchoProcess().start()
    servers: list[ApiServerProcess] = []
    fans: dict[int, WatchResult] = {}
    watches: dict[int, WatchResult] = {}
    try:
        pids = {"redis": redis_proc.proc.pid, "echo": echo.proc.pid}
        log("baselines: grpc.aio echo, Redis")
        await baselines(sizes, echo.address, base + "/1", template, res, pids)
        if only_workers:
            await workers_phase(sizes, workers or [1, 2], base, template, res, redis_proc.proc.pid, servers)
            return res
        if budgets:
            await watch_only(sizes, per_event, budgets, echo, base, res, redis_proc.proc.pid, servers, fans, watches)
            watch_rows(res, sizes, per_event, fans, watches)
            return res

        log("one apiserver")
        one = ApiServerProcess(base + "/0").start()
        servers.append(one)
        async with Client(one.address) as c:
            for name in ("bench", "bench1b", "bench2"):
                ns = core_pb2.Namespace()
                ns.metadata.name = name
                await c.create(ns)
            await asyncio.sleep(1.0)
            rss_empty = rss_mb(one.proc.pid)
            # warm-up: a few hundred calls, then gone again
            warm = [await c.create(named(template, f"warm-{i}", "default")) for i in range(50)]
            for p in warm:
                await c.delete("Pod", p.metadata.name, "default")
            ppids = {"apiserver": one.proc.pid, "redis": redis_proc.proc.pid, "bench client": os.getpid()}
            log(f"creating and updating {sizes.pods} pods, {CONCURRENCY} clients")
            c1, u1, mc1, mu1 = await create_and_update([c], "bench", sizes.pods, template, ppids)
            echo_rate, echo_us = res.raw["echo"], res.raw["echo_cpu_us"]
            cus, uus = mc1.us_per_op(c1, "apiserver"), mu1.us_per_op(u1, "apiserver")
            res.add("create_1", f"creates/s, 1 apiserver, {CONCURRENCY} clients", fmt_rate(c1),
                    f"echo {fmt_rate(echo_rate)}", f"{c1 / echo_rate:.2f}", ">= 0.50 x echo",
                    yes(c1 >= 0.5 * echo_rate),
                    note=f"apiserver CPU {cus:,.0f} us/create ({cus / echo_us:.1f} x the echo server's per call); "
                         f"{c1 / res.raw['redis_store']:.2f} x Redis store path; cores: {mc1.text()}")
            res.add("update_1", f"updates/s, 1 apiserver, {CONCURRENCY} clients", fmt_rate(u1),
                    f"echo {fmt_rate(echo_rate)}", f"{u1 / echo_rate:.2f}", ">= 0.50 x echo",
                    yes(u1 >= 0.5 * echo_rate),
                    note=f"apiserver CPU {uus:,.0f} us/update ({uus / echo_us:.1f} x echo); cores: {mu1.text()}")
            res.raw.update(create_1=c1, update_1=u1, create_1_cpu_us=cus, update_1_cpu_us=uus)

            log(f"list of {sizes.pods} pods, median of {sizes.list_repeats}")
            times = []
            for _ in range(sizes.list_repeats):
                t0 = time.perf_counter()
                items, _ = await c.list("Pod", namespace="bench")
                times.append(time.perf_counter() - t0)
                assert len(items) == sizes.pods, (len(items), sizes.pods)
                del items
            t_list = statistics.median(times)
            raw_list = c.channel.unary_unary(LIST, request_serializer=pb.ListRequest.SerializeToString,
                                             response_deserializer=None)
            blob = await raw_list(pb.ListRequest(kind="Pod", namespace="bench"), timeout=120)
            async with Client(echo.address) as ec:
                put = ec.channel.unary_unary(PUT)
                get = ec.channel.unary_unary(GET, response_deserializer=pb.ListResponse.FromString)
                await put(blob, timeout=120)
                base_times = []
                for _ in range(sizes.list_repeats):
                    t0 = time.perf_counter()
                    resp = await get(b"", timeout=120)
                    items = [registry.unwrap(o) for o in resp.items]
                    base_times.append(time.perf_counter() - t0)
                    assert len(items) == sizes.pods
                    del items, resp
                await put(b"")
            t_base = statistics.median(base_times)
            res.add("list", f"List {sizes.pods:,} pods, client-side call, median of {sizes.list_repeats}",
                    f"{t_list:.3f} s", f"same {len(blob) / 1e6:.1f} MB from bare grpc.aio {t_base:.3f} s",
                    f"{t_list / t_base:.2f}", "< 0.3 s", yes(t_list < 0.3),
                    note="runs: " + " ".join(f"{t:.3f}" for t in times))
            res.raw.update(list_s=t_list, list_base_s=t_base, list_bytes=len(blob))
            del blob

            rss_full = rss_mb(one.proc.pid)
            hwm = rss_mb(one.proc.pid, "VmHWM")
            res.add("rss", f"apiserver RSS, {sizes.pods:,} pods", f"{rss_full:.0f} MB", f"empty {rss_empty:.0f} MB",
                    f"{rss_full / rss_empty:.2f}", "< 400 MB", yes(rss_full < 400),
                    note=f"peak (VmHWM) {hwm:.0f} MB; cache holds the pods and a {10_000:,}-event history")
            res.raw.update(rss_empty_mb=rss_empty, rss_full_mb=rss_full, rss_hwm_mb=hwm)

            # The one-server rate again, right before the two-server run, so that the ratio compares
            # measurements taken close together (the machine may be shared).
            log(f"one apiserver again, then two on one Redis: {sizes.pods_two} pods each")
            c1b, u1b, mc1b, mu1b = await create_and_update([c], "bench1b", sizes.pods_two, template, ppids)
            cus1b, uus1b = mc1b.us_per_op(c1b, "apiserver"), mu1b.us_per_op(u1b, "apiserver")
            two = ApiServerProcess(base + "/0").start()
            servers.append(two)
            await asyncio.sleep(0.5)
            rss_two = rss_mb(two.proc.pid)
            async with Client(two.address) as c2:
                # warm the second server too
                warm = [await c2.create(named(template, f"warm-{i}", "default")) for i in range(50)]
                for p in warm:
                    await c2.delete("Pod", p.metadata.name, "default")
                ppids2 = {"apiserver1": one.proc.pid, "apiserver2": two.proc.pid, "redis": redis_proc.proc.pid,
                          "bench client": os.getpid()}
                log(f"creating and updating {sizes.pods_two} pods, {CONCURRENCY // 2} clients on each")
                c2r, u2r, mc2, mu2 = await create_and_update([c, c2], "bench2", sizes.pods_two, template, ppids2)
            cus2 = mc2.us_per_op(c2r, "apiserver1", "apiserver2")
            uus2 = mu2.us_per_op(u2r, "apiserver1", "apiserver2")
            res.add("create_2", f"creates/s, 2 apiservers, {CONCURRENCY // 2}+{CONCURRENCY // 2} clients",
                    fmt_rate(c2r), f"1 apiserver {fmt_rate(c1b)} (just before)", f"{c2r / c1b:.2f}", "> 1.00 x one",
                    yes(c2r > c1b), note=f"both apiservers' CPU {cus2:,.0f} us/create (one alone: {cus1b:,.0f}); "
                                         f"one alone: cores {mc1b.text()}; two: cores {mc2.text()}")
            res.add("update_2", f"updates/s, 2 apiservers, {CONCURRENCY // 2}+{CONCURRENCY // 2} clients",
                    fmt_rate(u2r), f"1 apiserver {fmt_rate(u1b)} (just before)", f"{u2r / u1b:.2f}", "> 1.00 x one",
                    yes(u2r > u1b), note=f"both apiservers' CPU {uus2:,.0f} us/update (one alone: {uus1b:,.0f}); "
                                         f"one alone: cores {mu1b.text()}; two: cores {mu2.text()}")
            res.add("rss_loaded", f"RSS of the 2nd apiserver, loaded {sizes.pods + sizes.pods_two:,} pods from Redis",
                    f"{rss_two:.0f} MB", f"empty {rss_empty:.0f} MB", f"{rss_two / rss_empty:.2f}", "< 400 MB",
                    yes(rss_two < 400))
            res.raw.update(create_2=c2r, update_2=u2r, rss_loaded_mb=rss_two, create_2_cpu_us=cus2,
                           update_2_cpu_us=uus2, create_1b=c1b, update_1b=u1b)
            two.stop()
            if workers:
                await workers_phase(sizes, workers, base, template, res, redis_proc.proc.pid, servers)

            res.raw["cached_pods"] = len((await c.list("Pod"))[0])
            await watch_phase(sizes, per_event, echo, c, one, redis_proc.proc.pid, fans, watches)
    finally:
        failed = sys.exc_info()[0] is not None
        for s in servers:
            s.stop()
            if failed:
                log(f"apiserver log kept: {s.log}")
            else:
                s.log.unlink(missing_ok=True)
        echo.stop()
        redis_proc.stop()
        shutil.rmtree(redis_proc.dir, ignore_errors=True)

    watch_rows(res, sizes, per_event, fans, watches)
    return res


# --------------------------------------------------------------------------------------------
# Output.

COLUMNS = ("figure", "value", "baseline (same run)", "ratio", "target", "met")


def _cells(r: Row) -> tuple[str, ...]:
    return (r.figure, r.value, r.baseline, r.ratio, r.target, r.met)


def text_table(res: Results) -> str:
    rows = [COLUMNS] + [_cells(r) for r in res.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    out.append("notes:")
    out += [f"  {r.figure}: {r.note}" for r in res.rows if r.note]
    return "\n".join(out)


def markdown_table(res: Results) -> str:
    out = ["| " + " | ".join(COLUMNS + ("notes",)) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for r in res.rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(r) + (r.note,)) + " |")
    return "\n".join(out)


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                      if l.startswith("MemTotal:"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "grpcio": grpc.__version__, "platform": platform.platform(),
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.apiserver", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a small version of every measurement (smoke test)")
    p.add_argument("--markdown", action="store_true", help="also print the results as a markdown table")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--per-event", action="store_true",
                   help="watch with Watch and the bare Subscribe, one event per stream message, instead of "
                        "WatchBatched and SubscribeBatched (the figures before batching)")
    p.add_argument("--workers", default="1,2", metavar="N,N,...",
                   help="API server worker counts (--workers) to measure creates and updates with; empty: none")
    p.add_argument("--only-workers", action="store_true",
                   help="only the baselines and the worker counts' creates and updates")
    p.add_argument("--only-watch", metavar="BUDGET,BUDGET,...",
                   help="only the baselines and the watch latency, once per --watch-message-budget given "
                        "(e.g. 0,4000: the fixed window beside the adaptive one), each on a fresh API server")
    p.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--watchers", metavar="ADDR", help=argparse.SUPPRESS)
    p.add_argument("--mode", default="apiserver", help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--namespace", default="watch", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.serve_echo:
        try:
            asyncio.run(serve_echo(a.serve_echo))
        except KeyboardInterrupt:
            pass
        return 0
    if a.watchers:
        asyncio.run(run_watchers(a.watchers, a.mode, a.count, a.out, a.namespace, a.per_event))
        return 0

    sizes = QUICK if a.quick else FULL
    info = machine()
    info["loadavg_before"] = Path("/proc/loadavg").read_text().split()[0]
    started = time.monotonic()
    busy0 = machine_busy_seconds()
    try:
        counts = [int(n) for n in a.workers.split(",") if n.strip()]
    except ValueError:
        p.error(f"--workers {a.workers!r}: expected worker counts such as 1,2")
    try:
        budgets = [float(b) for b in (a.only_watch or "").split(",") if b.strip()]
    except ValueError:
        p.error(f"--only-watch {a.only_watch!r}: expected message budgets such as 0,4000")
    res = asyncio.run(measure(sizes, a.per_event, counts, a.only_workers, budgets))
    info["machine_busy_cores"] = round((machine_busy_seconds() - busy0) / (time.monotonic() - started), 2)
    info["redis"] = res.raw.pop("redis_version", "?")
    info["seconds"] = round(time.monotonic() - started, 1)
    header = (f"kubelab apiserver benchmark{' (--quick)' if a.quick else ''}: {info['date']}\n"
              f"machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB; Python {info['python']}, "
              f"grpcio {info['grpcio']}, redis-server {info['redis']}; {info['platform']}\n"
              f"load: {CONCURRENCY} concurrent clients in one process; client, servers and Redis share the machine; "
              f"watchers on {'Watch (one event per message)' if a.per_event else 'WatchBatched'}; "
              f"load average before {info['loadavg_before']}; the machine was busy {info['machine_busy_cores']} "
              f"cores on average during the run (see 'other processes' in the notes)")
    print(header)
    print()
    print(text_table(res))
    if a.markdown:
        print()
        print(markdown_table(res))
    print(f"\nbenchmark took {info['seconds']} s")
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": info, "quick": a.quick, "per_event": a.per_event,
                                            "rows": [r.__dict__ for r in res.rows], "raw": res.raw}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
