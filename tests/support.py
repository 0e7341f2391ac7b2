"""Real processes for integration tests: a Redis server and API servers on free ports."""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import inspect
import ipaddress
import itertools
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from kubelab import podnet
from kubelab.cluster.healthcheck import SERVING, check_health
from kubelab.cluster.networks import AddressRanges, held_ranges
from kubelab.cluster.ports import allocate
from kubelab.cluster.redis_server import find_redis_server, redis_argv
from services.apiserver.ipallocator import range_offset

ROOT = Path(__file__).resolve().parents[1]


def accepted_connections(port: int, pids: list[int]) -> dict[int, set[int]]:
    """For each of pids, the client ports of the established TCP connections to `port` that it
    holds the server side of: which of several processes sharing a port (SO_REUSEPORT) accepted what.
    IPv6 sockets count too: gRPC listens on one with IPv4-mapped addresses."""
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port:  # ESTABLISHED, local port
                inodes[f"socket:[{f[9]}]"] = int(f[2].rsplit(":", 1)[1], 16)
    out: dict[int, set[int]] = {pid: set() for pid in pids}
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target in inodes:
                out[pid].add(inodes[target])
    return out


def free_port() -> int:
    """A free port on 127.0.0.1 that no other test process or cluster on this machine is handed meanwhile
    (kubelab.cluster.ports leases it machine-wide)."""
    return allocate({"port": None})["port"]


@functools.cache
def host_ranges() -> AddressRanges:
    """Pod and Service ranges held machine-wide for this test process (kubelab.cluster.networks) by tests
    that put addresses, routes and rules on this host without a cluster: clusters and other test workers
    beside them get other ranges. Released when the process exits."""
    stack = contextlib.ExitStack()
    ranges = stack.enter_context(held_ranges(f"pytest {Path.cwd()}"))
    atexit.register(stack.close)
    return ranges


_SERVICE_IPS_GIVEN: set[str] = set()


def service_ip() -> str:
    """An address of host_ranges()' Service range that no other call of this process returned: from the
    band the API server keeps for static addresses (ipallocator's lower band, past the `kubernetes` and
    kube-dns addresses), where its own allocations do not land while the upper band has room, then, once
    that band is used up, from the upper half. A test choosing a ClusterIP so meets neither another test's
    choice (a random one did, once in a -n 5 run: "provided IP is already allocated") nor an allocation."""
    net = ipaddress.ip_network(host_ranges().services)
    static = range(17, range_offset(net.num_addresses - 2))
    for offsets in (static, range(net.num_addresses // 2, net.num_addresses - 1)):
        free = [str(net.network_address + i) for i in offsets
                if str(net.network_address + i) not in _SERVICE_IPS_GIVEN]
        if free:
            ip = random.choice(free)
            _SERVICE_IPS_GIVEN.add(ip)
            return ip
    raise RuntimeError(f"every address of {net} was handed out")


def free_pod_subnet() -> str:
    """A /24 of host_ranges()' pod range that no route covers yet (no bridge or veth of this process's)."""
    subnets = list(ipaddress.ip_network(host_ranges().pods).subnets(new_prefix=24))
    for net in random.sample(subnets, len(subnets)):
        if not podnet.ip_json("route", "show", "root", str(net)):
            return str(net)
    raise RuntimeError(f"no free /24 left in {host_ranges().pods}")


def wait_until(cond, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll cond() until it returns a truthy value; fail with what after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


async def wait_for(cond, timeout: float = 20.0, what: str = "condition", *, interval: float = 0.05,
                   retry_on: tuple[type[BaseException], ...] = ()):
    """Await cond() (a function, async or not) until it returns a truthy value, which is returned; fail
    with `what` after `timeout` seconds. Exceptions of the `retry_on` types count as not yet (the last
    one is named in the failure); any other exception fails at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while True:
        try:
            value = cond()
            if inspect.isawaitable(value):
                value = await value
        except retry_on as e:
            value, last = None, e
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last})" if last else ""))
        await asyncio.sleep(interval)


class RedisProcess:
    def __init__(self, persistent: bool = True):
        self.dir = Path(tempfile.mkdtemp(prefix="kl-redis-"))
        self.port = free_port()
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        argv = redis_argv(find_redis_server(), port=self.port, data_dir=self.dir)
        if self.persistent:
            argv += ["--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _ping(client), what="redis to answer")
        client.close()
        return self

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


class ApiServerProcess:
    def __init__(self, redis_url: str, *args: str, port: int | None = None):
        self.redis_url = redis_url
        self.port = port or free_port()
        self.args = list(args)
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="kl-apiserver-", suffix=".log")[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> "ApiServerProcess":
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.apiserver", "--listen", self.address, "--redis", self.redis_url,
                 *self.args], cwd=ROOT, env=env, stdout=log, stderr=log)
        if wait:
            try:
                self.wait_serving()
            except BaseException:
                self._kill()  # the failure is the test's; the process must not outlive it
                raise
        return self

    def wait_serving(self, timeout: float = 20.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"apiserver exited: {self.log.read_text()[-3000:]}")
            return check_health(self.address, timeout=0.5) == SERVING
        wait_until(ready, timeout, interval=0.05, what=f"apiserver {self.address} SERVING")

    def stop(self, sig=signal.SIGTERM) -> int | None:
        """Signal the process and wait for it; one still running after 15 s is killed and the wait's
        TimeoutExpired raised (a process asked to stop must stop, and none may outlive its test)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self._kill()
                raise
        return self.proc.returncode if self.proc else None

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def logs(self) -> str:
        return self.log.read_text()


_db = itertools.count(1)


@contextlib.contextmanager
def apiserver_on(redis_server: RedisProcess, *args: str):
    """An API server (with ARGS) on a Redis database of its own, emptied first, stopped at the end."""
    url = redis_server.url.rsplit("/", 1)[0] + f"/{next(_db) % 16}"
    redis.Redis.from_url(url).flushdb()
    server = ApiServerProcess(url, "--history", "500", *args).start()
    try:
        yield server
    finally:
        server.stop()


def held_range_apiserver(redis_server: RedisProcess):
    """A module's API server allocating ClusterIPs from the Service range this process holds (host_ranges),
    for tests whose Services get addresses and rules on this host."""
    with apiserver_on(redis_server, "--service-cluster-ip-range", host_ranges().services) as server:
        yield server


class ComponentProcess:
    """`python -m services.<module> --apiserver ADDR --listen 127.0.0.1:PORT ARGS`, its log in a temp file."""

    def __init__(self, module: str, apiserver: str, *args: str, name: str | None = None):
        self.module, self.name, self.port = module, name or module, free_port()
        self.argv = [sys.executable, "-m", f"services.{module}", "--apiserver", apiserver, "--listen",
                     f"127.0.0.1:{self.port}", *args]
        self.log = Path(tempfile.mkstemp(prefix=f"kl-{self.name}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                         stdout=log, stderr=log)
        return self

    def serving(self, service: str = "") -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.logs()[-3000:]}")
        return check_health(self.address, timeout=0.5, service=service) == SERVING

    def wait_serving(self, service: str = "", timeout: float = 20.0) -> None:
        wait_until(lambda: self.serving(service), timeout, 0.05, f"{self.name} {self.address} {service or 'SERVING'}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL by default: no goodbye, nothing flushed, as when a machine dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def logs(self) -> str:
        return self.log.read_text()


@contextlib.asynccontextmanager
async def running(runner):
    """runner.run() as a background task for the with block (a test's watcher or stand-in), then cancelled."""
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(runner.run())
        yield runner
        task.cancel()
