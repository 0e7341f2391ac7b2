"""Web view benchmark: ``python -m bench.ui [--pods 200] [--changes 400] [--churn-seconds 600] [--markdown]``.

One run starts a Redis, an API server and the web view (services/ui), creates bare Ready Nodes and
`--pods` pods bound to them (no kubelets, no controllers: nothing but this process writes), opens the page
in headless Debian chromium through Playwright and measures, in the same run:

- the baseline: the time from a pod status write (`time.time()` just before the UpdateStatus call) to a
  raw API watch in this process seeing it;
- the time from the same write to the page having drawn it, taken in the browser (`Date.now()` after the
  DOM update, recorded by the page's `?trace`; same machine, same clock): informer, view, diff, SSE, parse,
  store and redraw. Each write flips one pod's readiness (READY 0/1 <-> 1/1), round-robin over the pods, at
  `--rate` writes per second; target: p99 under 1 s with 200 pods;
- the page's memory under churn, on a second page without tracing: for `--churn-seconds` pods are deleted
  and created again (keeping `--pods`) and their readiness flipped, at `--rate` writes per second, and
  Events are written about them as the scheduler and kubelet would (a Normal Scheduled for each new pod, a
  Warning Unhealthy for one flip in ten), the oldest deleted beyond `--events` (the API server has no
  event TTL: this is it); the JS heap (after a forced GC) and DOM node count are read over the DevTools
  protocol at the start and every minute, and the web view process's RSS from /proc. The same churn fills
  the timeline strip (created, deleted, Ready, NotReady lines), which both ends keep bounded.
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
from pathlib import Path

from google.protobuf import json_format
from playwright.async_api import async_playwright

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from tests.e2e.ui.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.support import ROOT, ApiServerProcess, RedisProcess, free_port, wait_until

NS = "bench"
NODES = 4


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _status(ready: bool) -> core_pb2.PodStatus:
    status = "True" if ready else "False"
    return json_format.ParseDict({"phase": "Running", "conditions": [{"type": "Ready", "status": status}],
                                  "containerStatuses": [{"name": "app", "ready": ready, "image": "pause",
                                                         "state": {"running": {}}}]}, core_pb2.PodStatus())


async def create_nodes(client: Client) -> None:
    for i in range(1, NODES + 1):
        node = core_pb2.Node()
        node.metadata.name = f"bench-{i}"
        node.status.conditions.add(type="Ready", status="True", reason="KubeletReady")
        await client.update_status(await client.create(node))


async def create_pod(client: Client, i: int) -> core_pb2.Pod:
    pod = core_pb2.Pod()
    pod.metadata.name, pod.metadata.namespace = f"p-{i}", NS
    pod.spec.node_name = f"bench-{i % NODES + 1}"
    pod.spec.containers.add(name="app", image="registry.k8s.io/pause")
    pod = await client.create(pod, NS)
    pod.status.CopyFrom(_status(False))
    return await client.update_status(pod)


async def write_event(client: Client, pod: core_pb2.Pod, n: int, reason: str, message: str,
                      type_: str = "Normal") -> core_pb2.Event:
    ev = core_pb2.Event()
    ev.metadata.name, ev.metadata.namespace = f"{pod.metadata.name}.{n:x}", NS
    ref = ev.involved_object
    ref.kind, ref.namespace, ref.name, ref.uid = "Pod", NS, pod.metadata.name, pod.metadata.uid
    ev.reason, ev.message, ev.type, ev.count = reason, message, type_, 1
    ev.source.component = "default-scheduler" if reason == "Scheduled" else "kubelet"
    ev.first_timestamp.GetCurrentTime()
    ev.last_timestamp.CopyFrom(ev.first_timestamp)
    return await client.create(ev, NS)


class Flipper:
    """Flips pods' readiness round-robin; remembers when each write was sent."""

    def __init__(self, client: Client, pods: list[core_pb2.Pod]):
        self.client, self.pods, self.next = client, pods, 0
        self.sent: list[tuple[str, str, float]] = []  # (pod, READY shown after the write, time sent)

    async def flip(self) -> None:
        i = self.next % len(self.pods)
        self.next += 1
        pod = self.pods[i]
        ready = not pod.status.container_statuses[0].ready
        pod.status.CopyFrom(_status(ready))
        t0 = time.time()
        self.pods[i] = await self.client.update_status(pod)
        self.sent.append((pod.metadata.name, "1/1" if ready else "0/1", t0))


async def watch_times(client: Client, seen: list[tuple[str, str, float]]) -> None:
    async for ev in client.watch("Pod", NS):
        if ev.object is not None and ev.object.status.container_statuses:
            ready = "1/1" if ev.object.status.container_statuses[0].ready else "0/1"
            seen.append((ev.object.metadata.name, ready, time.time()))


def latencies(sent, seen) -> list[float]:
    """ms from each write to the first sighting of that pod with that READY at or after it was sent."""
    by_pod: dict[str, list[tuple[str, float]]] = {}
    for name, ready, t in seen:
        by_pod.setdefault(name, []).append((ready, t))
    out = []
    for name, ready, t0 in sent:
        t = next((t for r, t in by_pod.get(name, []) if r == ready and t >= t0), None)
        if t is not None:
            out.append((t - t0) * 1000)
    return out


def start_ui(api: str, port: int, logf: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with open(logf, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.ui", "--apiserver", api, "--listen",
                                 f"127.0.0.1:{free_port()}", "--http-listen", f"127.0.0.1:{port}"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def page_memory(cdp) -> dict:
    await cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return {"heap_mib": round(metrics["JSHeapUsedSize"] / 2**20, 2), "dom_nodes": int(metrics["Nodes"])}


async def shown_pods(page) -> int:
    return await page.evaluate("document.querySelectorAll('.pod').length")


async def wait_pods(page, n: int, timeout: float = 60) -> None:
    await page.wait_for_function(f"document.querySelectorAll('.pod').length === {n}", timeout=timeout * 1000)


async def measure_latency(client, context, url, pods, args) -> dict:
    page = await context.new_page()
    await page.goto(url + "?trace")
    await wait_pods(page, args.pods)
    seen: list = []
    watcher = asyncio.ensure_future(watch_times(client, seen))
    await asyncio.sleep(1)
    flipper = Flipper(client, pods)
    for _ in range(args.changes):
        await flipper.flip()
        await asyncio.sleep(1 / args.rate)
    await asyncio.sleep(2)
    watcher.cancel()
    trace = await page.evaluate("window.kubelabUI.trace")
    drawn = [(k.split("/", 1)[1], v["ready"], t / 1000) for t, k, v in trace if v and k.startswith("Pod:")]
    await page.close()
    page_ms, watch_ms = latencies(flipper.sent, drawn), latencies(flipper.sent, seen)
    log(f"page: {len(page_ms)}/{len(flipper.sent)} drawn, p50 {pct(page_ms, .5):.0f} ms, p99 {pct(page_ms, .99):.0f} ms;"
        f" watch p50 {pct(watch_ms, .5):.1f} ms, p99 {pct(watch_ms, .99):.1f} ms")
    return {"writes": len(flipper.sent), "drawn": len(page_ms), "page_p50_ms": round(pct(page_ms, .5), 1),
            "page_p99_ms": round(pct(page_ms, .99), 1), "page_max_ms": round(max(page_ms), 1),
            "watch_p50_ms": round(pct(watch_ms, .5), 1), "watch_p99_ms": round(pct(watch_ms, .99), 1),
            "page_mean_ms": round(statistics.mean(page_ms), 1)}


async def churn(client, context, url, pods, ui_pid, args) -> dict:
    page = await context.new_page()
    await page.goto(url)
    await wait_pods(page, args.pods)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    samples = [{"s": 0, **await page_memory(cdp), "server_rss_mib": round(rss_mib(ui_pid), 1)}]
    flipper, start, created, next_sample = Flipper(client, pods), time.monotonic(), len(pods), 60.0
    events: list[core_pb2.Event] = []
    written = 0

    async def event(pod, reason, message, type_="Normal"):
        nonlocal written
        events.append(await write_event(client, pod, written, reason, message, type_))
        written += 1
        if len(events) > args.events:  # what an API server's --event-ttl does
            old = events.pop(0)
            await client.delete("Event", old.metadata.name, NS)

    while time.monotonic() - start < args.churn_seconds:
        if flipper.next % 4 == 3:  # one write in four replaces a pod: delete the oldest, create a new one
            old = pods.pop(0)
            await client.delete("Pod", old.metadata.name, NS, grace_period_seconds=0)
            pods.append(await create_pod(client, created))
            await event(pods[-1], "Scheduled", f"Successfully assigned {NS}/{pods[-1].metadata.name} to "
                                               f"{pods[-1].spec.node_name}")
            created += 1
            flipper.next += 1
        else:
            await flipper.flip()
            if flipper.next % 10 == 0:
                pod = flipper.pods[(flipper.next - 1) % len(flipper.pods)]
                await event(pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503",
                            "Warning")
        await asyncio.sleep(1 / args.rate)
        if time.monotonic() - start >= next_sample:
            samples.append({"s": round(time.monotonic() - start), **await page_memory(cdp),
                            "server_rss_mib": round(rss_mib(ui_pid), 1)})
            log(f"churn: {samples[-1]}")
            next_sample += 60.0
    await wait_pods(page, args.pods)
    samples.append({"s": round(time.monotonic() - start), **await page_memory(cdp),
                    "server_rss_mib": round(rss_mib(ui_pid), 1)})
    await page.close()
    return {"seconds": args.churn_seconds, "writes": flipper.next, "events_written": written,
            "events_kept": args.events, "pods_replaced": created - args.pods, "samples": samples}


async def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="kubelab-bench-ui-"))
    redis = RedisProcess(persistent=False).start()
    api = ApiServerProcess(redis.url).start()
    port = free_port()
    ui = start_ui(api.address, port, tmp / "ui.log")
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: subprocess.run(["python3", "-c", f"import urllib.request as u; u.urlopen('{url}')"],
                                          capture_output=True).returncode == 0, 30, 0.2, "the page served")
        async with Client(api.address) as client:
            ns = core_pb2.Namespace()
            ns.metadata.name = NS
            await client.create(ns)
            await create_nodes(client)
            pods = [await create_pod(client, i) for i in range(args.pods)]
            log(f"{args.pods} pods on {NODES} nodes; log {tmp / 'ui.log'}")
            async with async_playwright() as pw:
                context = await pw.chromium.launch_persistent_context(
                    str(tmp / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                    viewport={"width": 1280, "height": 720})
                result = {"pods": args.pods, "rate_per_s": args.rate,
                          "latency": await measure_latency(client, context, url, pods, args)}
                if args.churn_seconds:
                    result["churn"] = await churn(client, context, url, pods, ui.pid, args)
                await context.close()
    finally:
        ui.terminate()
        ui.wait(10)
        api.stop()
        redis.stop()
    result["machine"] = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
                         f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    return result


def markdown(r: dict) -> str:
    lat = r["latency"]
    lines = [f"{r['pods']} pods, {lat['writes']} readiness flips at {r['rate_per_s']}/s; {r['machine']}", "",
             "| measure | web view (in the browser) | baseline: raw API watch | ratio |", "|---|---:|---:|---:|",
             f"| write -> seen, p50 ms | {lat['page_p50_ms']} | {lat['watch_p50_ms']} | "
             f"{lat['page_p50_ms'] / lat['watch_p50_ms']:.1f} |",
             f"| write -> seen, p99 ms | {lat['page_p99_ms']} | {lat['watch_p99_ms']} | "
             f"{lat['page_p99_ms'] / lat['watch_p99_ms']:.1f} |"]
    if "churn" in r:
        c = r["churn"]
        first, last = c["samples"][0], c["samples"][-1]
        lines += ["", f"Churn {c['seconds']} s ({c['writes']} writes, {c['pods_replaced']} pods replaced, "
                      f"{c.get('events_written', 0)} Events written, the newest {c.get('events_kept', '-')} kept):", "",
                  "| after (s) | page JS heap (MiB, after GC) | DOM nodes | ui process RSS (MiB) |",
                  "|---:|---:|---:|---:|"]
        lines += [f"| {s['s']} | {s['heap_mib']} | {s['dom_nodes']} | {s['server_rss_mib']} |"
                  for s in c["samples"] if s in (first, last) or s["s"] % 300 < 60]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ui", description=__doc__.split("\n\n")[0])
    p.add_argument("--pods", type=int, default=200)
    p.add_argument("--changes", type=int, default=400, help="readiness flips measured for latency")
    p.add_argument("--rate", type=float, default=20.0, help="writes per second")
    p.add_argument("--churn-seconds", type=float, default=600.0, help="0: no memory run")
    p.add_argument("--events", type=int, default=500, help="Events kept during the churn (the oldest deleted)")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    result = asyncio.run(run(args))
    print(markdown(result) if args.markdown else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
