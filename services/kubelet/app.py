"""The kubelet process: the runtime's process skeleton (health on --listen, SIGTERM, TaskGroup) plus the
kubelet's own gRPC server for logs and exec on the node's address (--node-ip) at the same port.

    python -m services.kubelet --node-name node-1 --root-dir DIR --cluster-dir DIR \\
        --pod-cidr 127.1.1.0/24 --apiserver HOST:PORT --listen 127.0.0.1:PORT
    python -m services.kubelet --root-dir DIR --kill-containers     (for `kubelab down`)

The logs/exec server starts once the node has its address (the gateway of its bridge, or --node-ip).
A stopped kubelet leaves its containers and their networks running (a new one adopts them);
`--kill-containers` is how a cluster going down takes them along, with the node's pod network.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kubelab.api.v1 import kubelet_pb2_grpc
from kubelab.podnet import IpError, remove_cluster_network
from kubelab.config import new_config
from kubelab.process import Process, run
from services.kubelet.config import KubeletConfig, complete_config
from services.kubelet.hollow import HollowNodes
from services.kubelet.kubelet import Kubelet
from services.kubelet.paths import NodePaths
from services.kubelet.runtime.records import load_run
from services.kubelet.runtime.runtime import ContainerRuntime
from services.kubelet.server import KubeletServicer

__all__ = ["main", "setup"]

log = logging.getLogger(__name__)


async def start_server(servicer: KubeletServicer, host: str, port: int) -> tuple[grpc.aio.Server, int]:
    """Serve logs/exec (and health) on host:port, or on a free port of host when that one is taken."""
    server = grpc.aio.server()
    kubelet_pb2_grpc.add_KubeletServicer_to_server(servicer, server)
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    bound = 0
    for candidate in (port, 0):
        try:
            bound = server.add_insecure_port(f"{host}:{candidate}")
        except RuntimeError:
            bound = 0
        if bound:
            break
    if not bound:
        raise SystemExit(f"kubelet: cannot listen on {host} for logs and exec")
    await server.start()
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, bound


async def setup(proc: Process) -> None:
    cfg: KubeletConfig = proc.config
    servers: list[grpc.aio.Server] = []
    if cfg.hollow:
        holder: dict = {}
        servicer = KubeletServicer(lambda: [], ContainerRuntime(), lambda ns, name: holder["hollow"].has_pod(ns, name))
        server, port = await start_server(servicer, cfg.node_ip, proc.port)
        servers.append(server)
        log.info("serving logs and exec node=%s address=%s:%d", cfg.node_name, cfg.node_ip, port)
        hollow = holder["hollow"] = HollowNodes(proc, cfg, port)
        hollow.add_to(proc)
    else:
        async def serve(address: str) -> int:
            """Once the node has its address (the gateway of its bridge, or --node-ip)."""
            server, port = await start_server(KubeletServicer(lambda: [kubelet.paths], ContainerRuntime()),
                                              address, proc.port)
            servers.append(server)
            log.info("serving logs and exec node=%s address=%s:%d", cfg.node_name, address, port)
            return port
        kubelet = Kubelet(proc, cfg, serve)
        proc.add_runnable("kubelet", kubelet.run)

    async def serve_until_stopped() -> None:
        try:
            await proc.stopping.wait()
        finally:
            for server in servers:
                await asyncio.shield(server.stop(1.0))
    proc.add_runnable("kubelet-server", serve_until_stopped)


def kill_containers(root: Path) -> int:
    """Kill every container recorded under a node root (whatever kubelet started it); how many ran."""
    killed = 0
    for run_dir in sorted(NodePaths(root).pods.glob("*/containers/*/*")):
        rec = load_run(run_dir)
        if rec is not None and rec.running:
            ContainerRuntime().kill(rec)
            killed += 1
    return killed


def remove_network(cfg: KubeletConfig) -> list[str]:
    """The node's pod namespaces and bridge (after its containers): nothing of the node stays."""
    try:
        return remove_cluster_network(cfg.cluster_id, cfg.node_name)
    except IpError as e:
        log.error("cannot remove the node's pod network node=%s error=%s", cfg.node_name, e)
        return []


def main(argv: list[str] | None = None) -> None:
    cfg = complete_config(new_config(KubeletConfig, argv, prog="python -m services.kubelet",
                                     description="kubelab's node agent: runs the pods bound to its node."))
    if cfg.kill_containers:
        killed = kill_containers(Path(cfg.root_dir))
        print(f"node={cfg.node_name} killed_containers={killed} removed_network_objects={len(remove_network(cfg))}")
        return
    run("kubelet", cfg, setup)
