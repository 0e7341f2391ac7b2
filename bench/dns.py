"""DNS benchmark: ``python -m bench.dns [--quick] [--markdown] [--json PATH]``.

One run starts a Redis, an API server holding 100 ClusterIP Services and 100 headless Services with an
EndpointSlice of 10 ready endpoints each, the kubelab DNS server (`python -m services.dns`) on a loopback
port, and the bare dnspython server of `bench.dnsecho` (every query answered with one fixed A record, no
lookup) as the baseline, each in its own process. The same load goes to each in turn:

- queries/s: a closed loop of 32 UDP queries in flight from one client process for `--seconds`: first
  ClusterIP A queries only (one record, the echo's shape: like for like), then the cluster mix: ClusterIP A,
  headless A (10 records), SRV of a headless named port (10 records + 10 additional) and an NXDOMAIN;
- latency p50/p99: of the same queries, send to receive, in the client;
- propagation: 200 EndpointSlices written one by one (each a new hostname of a headless Service), from
  the create's acknowledgement to the first query that finds the name (queries every millisecond or so),
  beside the same writes' arrival on a plain API watch in the benchmark's process (the "echo" column here:
  what the informer path costs before DNS adds its own).

Printed as a table with the ratio kubelab / echo. Client and servers share the machine (with 32 queries in
flight, latency is mostly waiting in line: p50 is about 32 / queries per second); `--quick` runs 2 s per
phase (a smoke test).

"Pod Ready to its name resolving" (issue 14, target p99 under 500 ms) is bench/dns_ready.py, on a real cluster.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.query

from bench.apiserver import machine
from bench.procstat import cpu_seconds
from kubelab import manifest
from kubelab.client import Client
from kubelab.cluster.healthcheck import SERVING, check_health
from tests.support import ROOT, ApiServerProcess, RedisProcess, free_port, wait_until

CONCURRENCY = 32
SERVICES = 100
ENDPOINTS = 10


def names(mix: bool = True) -> list[tuple[str, str]]:
    """The mix a cluster asks, or (mix False) only ClusterIP A queries: one record, as the echo answers."""
    if not mix:
        return [(f"svc-{i}.bench.svc.cluster.local", "A") for i in range(SERVICES)]
    out = []
    for i in range(SERVICES):
        out += [(f"svc-{i}.bench.svc.cluster.local", "A"), (f"headless-{i}.bench.svc.cluster.local", "A"),
                (f"_web._tcp.headless-{i}.bench.svc.cluster.local", "SRV"), (f"nope-{i}.bench.svc.cluster.local", "A")]
    return out


async def populate(address: str) -> None:
    async with Client(address) as client:
        await client.create(manifest.from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}))
        for i in range(SERVICES):
            svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "bench"},
                   "spec": {"clusterIP": f"198.19.{200 + i // 250}.{i % 250 + 1}", "ports": [{"name": "web", "port": 80}]}}
            await client.create(manifest.from_dict(svc))
            svc["metadata"]["name"], svc["spec"]["clusterIP"] = f"headless-{i}", "None"
            await client.create(manifest.from_dict(svc))
            await client.create(manifest.from_dict({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": f"headless-{i}-a", "namespace": "bench",
                             "labels": {"kubernetes.io/service-name": f"headless-{i}"}},
                "addressType": "IPv4", "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}],
                "endpoints": [{"addresses": [f"198.18.{i}.{j + 1}"], "hostname": f"web-{j}",
                               "conditions": {"ready": True}} for j in range(ENDPOINTS)]}))


class Load(asyncio.DatagramProtocol):
    """A closed loop: `concurrency` queries in flight, each answered one replaced by the next name."""

    def __init__(self, wires: list[bytes], concurrency: int, until: float):
        self.wires, self.concurrency, self.until = wires, concurrency, until
        self.sent: dict[int, float] = {}
        self.latencies: list[float] = []
        self.next_id, self.done, self.lost = 0, asyncio.get_running_loop().create_future(), 0
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        for _ in range(self.concurrency):
            self._send()

    def _send(self) -> None:
        qid = self.next_id = (self.next_id + 1) & 0xFFFF
        wire = self.wires[qid % len(self.wires)]
        self.sent[qid] = time.perf_counter()
        self.transport.sendto(qid.to_bytes(2, "big") + wire[2:])

    def datagram_received(self, data: bytes, addr) -> None:
        started = self.sent.pop(int.from_bytes(data[:2], "big"), None)
        if started is None:
            return
        now = time.perf_counter()
        self.latencies.append(now - started)
        if now < self.until:
            self._send()
        elif not self.sent and not self.done.done():
            self.done.set_result(None)

    def expire(self, older_than: float) -> None:
        """Queries unanswered after older_than seconds are lost: replace them, so the loop keeps going."""
        now = time.perf_counter()
        for qid in [q for q, t in self.sent.items() if now - t > older_than]:
            del self.sent[qid]
            self.lost += 1
            if now < self.until:
                self._send()
        if now >= self.until and not self.sent and not self.done.done():
            self.done.set_result(None)


async def measure(port: int, seconds: float, mix: bool, concurrency: int = CONCURRENCY) -> dict:
    wires = [dns.message.make_query(n, t).to_wire() for n, t in names(mix)]
    loop = asyncio.get_running_loop()
    until = time.perf_counter() + seconds
    transport, load = await loop.create_datagram_endpoint(lambda: Load(wires, concurrency, until),
                                                          remote_addr=("127.0.0.1", port))
    started = time.perf_counter()
    while not load.done.done():
        await asyncio.wait([load.done], timeout=0.5)
        load.expire(1.0)
    took = time.perf_counter() - started
    transport.close()
    lat = sorted(load.latencies)
    return {"qps": round(len(lat) / took), "p50_ms": round(lat[len(lat) // 2] * 1000, 2),
            "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2), "answered": len(lat), "lost": load.lost}


async def propagation(api: str, dns_port: int, samples: int) -> dict:
    """EndpointSlice create acknowledged -> its hostname resolves, beside the same writes' watch delivery (an
    API client's watch in this process: the informer path alone)."""
    arrived: dict[str, float] = {}
    async with Client(api) as client:
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "prop", "namespace": "bench"},
               "spec": {"clusterIP": "None", "ports": [{"name": "web", "port": 80}]}}
        await client.create(manifest.from_dict(svc))
        _, rv = await client.list("EndpointSlice", namespace="bench")

        async def watch() -> None:
            async for ev in client.watch("EndpointSlice", namespace="bench", resource_version=rv):
                arrived.setdefault(ev.object.metadata.name, time.perf_counter())
        dns_ms, watch_ms = [], []
        async with asyncio.TaskGroup() as tg:
            watcher = tg.create_task(watch())
            for i in range(samples):
                name = f"prop-{i}"
                eps = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                       "metadata": {"name": name, "namespace": "bench", "labels": {"kubernetes.io/service-name": "prop"}},
                       "addressType": "IPv4", "endpoints": [{"addresses": [f"198.18.250.{i % 250 + 1}"],
                                                              "hostname": f"h{i}", "conditions": {"ready": True}}]}
                started = time.perf_counter()
                await client.create(manifest.from_dict(eps))
                query = dns.message.make_query(f"h{i}.prop.bench.svc.cluster.local", "A")
                while True:
                    r = await dns.asyncquery.udp(query, "127.0.0.1", port=dns_port, timeout=1.0)
                    if r.answer:
                        break
                    await asyncio.sleep(0.001)
                dns_ms.append((time.perf_counter() - started) * 1000)
                while name not in arrived:
                    await asyncio.sleep(0.001)
                watch_ms.append((arrived[name] - started) * 1000)
            watcher.cancel()
    dns_ms.sort()
    watch_ms.sort()
    pick = lambda xs, q: round(xs[min(len(xs) - 1, int(len(xs) * q))], 1)  # noqa: E731
    return {"dns_p50_ms": pick(dns_ms, 0.5), "dns_p99_ms": pick(dns_ms, 0.99),
            "watch_p50_ms": pick(watch_ms, 0.5), "watch_p99_ms": pick(watch_ms, 0.99), "samples": samples}


def start(argv: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *argv], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def answers(port: int, name: str) -> bool:
    try:
        return bool(dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=0.5).answer)
    except Exception:
        return False


def run(seconds: float, logs: Path, samples: int) -> dict:
    redis = RedisProcess(persistent=False).start()
    api = ApiServerProcess(redis.url).start()
    procs = []
    try:
        asyncio.run(populate(api.address))
        dns_port, echo_port, health = free_port(), free_port(), free_port()
        kubelab = start(["-m", "services.dns", "--apiserver", api.address, "--listen", f"127.0.0.1:{health}",
                         "--listen-dns", f"127.0.0.1:{dns_port}", "--upstream", "127.0.0.1:9"], logs / "dns.log")
        echo = start(["-m", "bench.dnsecho", "--listen", f"127.0.0.1:{echo_port}"], logs / "echo.log")
        procs = [kubelab, echo]
        wait_until(lambda: check_health(f"127.0.0.1:{health}", 0.5) == SERVING, 30, 0.1, "dns SERVING")
        wait_until(lambda: answers(dns_port, f"svc-{SERVICES - 1}.bench.svc.cluster.local") and
                   answers(dns_port, f"headless-{SERVICES - 1}.bench.svc.cluster.local"), 30, 0.1, "records loaded")
        wait_until(lambda: answers(echo_port, "x."), 30, 0.1, "echo answering")
        out = {}
        for name, port, proc, mix in (("echo", echo_port, echo, False), ("kubelab_a", dns_port, kubelab, False),
                                      ("kubelab", dns_port, kubelab, True)):
            cpu = cpu_seconds(proc.pid)
            out[name] = asyncio.run(measure(port, seconds, mix))
            out[name]["server_cores"] = round((cpu_seconds(proc.pid) - cpu) / seconds, 2)
        out["propagation"] = asyncio.run(propagation(api.address, dns_port, samples))
        return out
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        api.stop()
        redis.stop()


def table(res: dict) -> list[tuple[str, str, str, str]]:
    e, rows = res["echo"], []
    for key, what in (("kubelab_a", "ClusterIP A only"), ("kubelab", "the cluster mix")):
        k = res[key]
        rows += [
            (f"queries/s, {what} (baseline: echo)", f"{k['qps']}", f"{e['qps']}", f"{k['qps'] / e['qps']:.2f}"),
            (f"latency p50 (ms), {what}", f"{k['p50_ms']}", f"{e['p50_ms']}", f"{k['p50_ms'] / e['p50_ms']:.2f}"),
            (f"latency p99 (ms), {what}", f"{k['p99_ms']}", f"{e['p99_ms']}", f"{k['p99_ms'] / e['p99_ms']:.2f}"),
            (f"server CPU (cores), {what}", f"{k['server_cores']}", f"{e['server_cores']}", ""),
            (f"unanswered after 1 s, {what}", f"{k['lost']}", f"{e['lost']}", ""),
        ]
    p = res["propagation"]
    rows += [("slice written -> name resolves, p50 ms (baseline: API watch)", f"{p['dns_p50_ms']}", f"{p['watch_p50_ms']}",
              f"{p['dns_p50_ms'] / p['watch_p50_ms']:.2f}"),
             ("slice written -> name resolves, p99 ms (baseline: API watch)", f"{p['dns_p99_ms']}", f"{p['watch_p99_ms']}",
              f"{p['dns_p99_ms'] / p['watch_p99_ms']:.2f}")]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dns", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2 s per server (smoke test)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds of load per server")
    p.add_argument("--markdown", action="store_true", help="also print a markdown table")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    a = p.parse_args(argv)
    info = machine()
    info["loadavg_before"] = Path("/proc/loadavg").read_text().split()[0]
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"kl-bench-dns-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    res = run(2.0 if a.quick else a.seconds, logs, 10 if a.quick else 200)
    print(f"kubelab DNS benchmark{' (--quick)' if a.quick else ''}: {info['date']}\n"
          f"machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_gb']} GB; Python {info['python']}; "
          f"{info['platform']}; client and servers share the machine, load average before "
          f"{info['loadavg_before']}; logs in {logs}\n")
    rows = table(res)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'kubelab':>9}  {'baseline':>9}  {'ratio':>6}")
    for r in rows:
        print(f"{r[0]:<{width}}  {r[1]:>9}  {r[2]:>9}  {r[3]:>6}")
    if a.markdown:
        print("\n| measure | kubelab DNS | baseline | ratio |\n|---|---:|---:|---:|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": info, "results": res}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
