"""`python -m services.ui`: the live web view of the cluster (docs/ui.md).

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen (gRPC health), --http-listen (the page),
--state-dir (the launcher's, for process state and the failure verbs), --component-interval,
--metrics-listen, --log-level, --shutdown-grace. `--help` lists them all.

Built like every component on kubelab/process.py (informers, health, SIGTERM); no leader election: every
copy serves its page. The page's address is written to `<state-dir>/ui.url` once listening, so that
`kubelab up` can print it.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from kubelab.cluster.ports import split
from kubelab.cluster.state import StateDir, write_atomic
from kubelab import fielderrors
from kubelab.config import new_config
from kubelab.fielderrors import FieldError
from kubelab.process import Process, ProcessConfig, run
from services.ui.components import Components
from services.ui.hub import Hub
from services.ui.server import new_app
from services.ui.watcher import Watcher

COMPONENT = "ui"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config(ProcessConfig):
    http_listen: str = "127.0.0.1:8081"
    """HOST:PORT the page is served on (port 0: any free port; the address is logged and written to ui.url)."""
    state_dir: str = ""
    """The cluster's state dir (`kubelab up`'s): process state and the failure verbs; empty: Leases only."""
    component_interval: float = 1.0
    """Seconds between two reads of the processes' state (pid, paused, health: not in the API)."""

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        try:
            split(self.http_listen)
        except ValueError:
            errors.append(fielderrors.invalid("--http-listen", self.http_listen, "expected HOST:PORT"))
        return errors


def _url(site: web.TCPSite) -> str:
    host, port = site._server.sockets[0].getsockname()[:2]  # the port the kernel chose for port 0
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def _last_port(sd: StateDir) -> int:
    """The port of the page's last start: a restarted ui keeps its address, so open pages reconnect."""
    try:
        return int(sd.ui_file.read_text().strip().rstrip("/").rsplit(":", 1)[1])
    except (OSError, ValueError, IndexError):
        return 0


async def _listen(runner: web.AppRunner, host: str, ports: list[int], flag: str) -> web.TCPSite:
    """The site on the first of ports that is free."""
    for port in ports:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
            return site
        except OSError as e:
            error = e
    raise SystemExit(f"--http-listen {flag}: cannot listen: {error.strerror}")


async def setup(proc: Process) -> None:
    cfg: Config = proc.config
    hub = Hub()
    watcher = Watcher(proc.informers, hub)
    components = Components(cfg.state_dir, watcher.informers["Lease"], watcher.put_views,
                            cfg.component_interval)
    runner = web.AppRunner(new_app(watcher, hub, components), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    host, port = split(cfg.http_listen)
    sd = StateDir(Path(cfg.state_dir)) if cfg.state_dir else None
    launched = port == 0 and sd is not None and sd.exists()  # the launcher's copy: a free port, recorded
    site = await _listen(runner, host, [_last_port(sd), 0] if launched else [port], cfg.http_listen)
    url = _url(site)
    if launched:
        write_atomic(sd.ui_file, url + "\n")
    log.info("serving the page url=%s", url)

    async def serve_until_stopped() -> None:
        try:
            await proc.stopping.wait()
        finally:
            await asyncio.shield(runner.cleanup())

    proc.add_runnable("http", serve_until_stopped, leader_only=False)
    proc.add_runnable("views", watcher.run, leader_only=False)
    proc.add_runnable("components", components.run, leader_only=False)


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.ui",
                     description="The live web view: nodes, pods, storage, components and events, with the "
                                 "failure verbs as buttons.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
