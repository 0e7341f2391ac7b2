"""`python -m services.proxy`: kube-proxy for one kubelab cluster.

Flags (each also from KUBELAB_<NAME>): the common ones (--apiserver, --listen, --metrics-listen, ...) and
--cluster-id (names the nft table `kubelab-<id>` and the userspace mode's address label `lo:<id>` on lo; default: the id of
$KUBELAB_STATE_DIR), --proxy-mode (nftables, userspace; empty: nftables where nft works), --node-name
(kube-proxy's --hostname-override, for internalTrafficPolicy Local), --cluster-cidr, --min-sync-period
(1s), --sync-period (30s), --cleanup (remove this cluster's rules and exit, as `kube-proxy --cleanup`).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from kubelab import fielderrors, logs, nft
from kubelab.config import new_config
from kubelab.fielderrors import FieldError
from kubelab.network import DEFAULT_SERVICE_CIDR, cluster_id
from kubelab.process import MODE_SERVICE, SERVING, Process, ProcessConfig, run
from kubelab.skeleton import check_config
from services.proxy.proxier import NftablesBackend, Proxier
from services.proxy.userspace import ServiceAddresses, UserspaceProxier

COMPONENT = "kube-proxy"
MODES = ("nftables", "userspace")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config(ProcessConfig):
    cluster_id: str = ""
    """The cluster's id (kubelab.network.cluster_id); empty: the id of $KUBELAB_STATE_DIR."""
    proxy_mode: str = ""
    """nftables or userspace; empty: nftables where nft may be used, else userspace."""
    node_name: str = ""
    """This proxy's node (kube-proxy --hostname-override): internalTrafficPolicy Local keeps its endpoints.
    Empty: one proxy serves every node (a local cluster, all nodes in the host's network namespace)."""
    cluster_cidr: str = ""
    """The pod range: traffic to a ClusterIP from outside it is masqueraded (as kube-proxy --cluster-cidr)."""
    service_cluster_ip_range: str = DEFAULT_SERVICE_CIDR
    """The Services' range (the API server's --service-cluster-ip-range): traffic to an address of it that
    no Service holds is dropped (nftables) or unreachable (userspace) rather than routed off the machine."""
    min_sync_period: float = 1.0
    """Least time between two syncs (kube-proxy --config minSyncPeriod, nftables default 1s)."""
    sync_period: float = 30.0
    """Time between full resyncs even without changes (kube-proxy syncPeriod)."""
    cleanup: bool = False
    """Remove this cluster's rules (nft table, userspace addresses) and exit."""

    def ident(self) -> str:
        """The cluster id: --cluster-id, else the id of $KUBELAB_STATE_DIR; "" if neither."""
        state_dir = os.environ.get("KUBELAB_STATE_DIR", "")
        return self.cluster_id or (cluster_id(state_dir) if state_dir else "")

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if not self.ident():
            errors.append(fielderrors.required("--cluster-id", "give the cluster id or set KUBELAB_STATE_DIR"))
        if self.proxy_mode and self.proxy_mode not in MODES:
            errors.append(fielderrors.not_supported("--proxy-mode", self.proxy_mode, MODES))
        return errors


def choose_mode(requested: str) -> tuple[str, str]:
    """(mode, why): nftables unless userspace was asked for or nft cannot be used here."""
    if requested == "userspace":
        return "userspace", "requested"
    problem = nft.available()
    if not problem:
        return "nftables", "requested" if requested else "nft is available"
    if requested == "nftables":
        raise SystemExit(f"--proxy-mode nftables: nft cannot be used: {problem}")
    return "userspace", f"nft cannot be used: {problem}"


def address_label(cid: str) -> str:
    """The label of the userspace mode's ClusterIPs on `lo` (at most 15 characters, starting `lo:`)."""
    return f"lo:{cid}"[:15]


def cleanup(cfg: Config, cid: str) -> None:
    removed = False
    if not nft.available():  # "" when nft may be used
        removed = nft.delete_table(nft.table_name(cid))
    ServiceAddresses(address_label(cid), cfg.service_cluster_ip_range).remove()
    log.info("cleaned up cluster_id=%s table=%s removed=%s label=%s", cid, nft.table_name(cid), removed,
             address_label(cid))


async def setup(proc: Process) -> None:
    cfg: Config = proc.config
    cid = cfg.ident()
    mode, why = choose_mode(cfg.proxy_mode)
    if mode == "nftables":
        backend = NftablesBackend(nft.table_name(cid), cfg.cluster_cidr, cfg.service_cluster_ip_range)
    else:
        backend = UserspaceProxier(address_label(cid), cfg.service_cluster_ip_range)
    log.info("proxy mode=%s reason=%r cluster_id=%s table=%s", mode, why, cid, nft.table_name(cid))
    await proc.health.set(MODE_SERVICE + mode, SERVING)
    proxier = Proxier(proc.informers, backend, node_name=cfg.node_name, min_sync_period=cfg.min_sync_period,
                      sync_period=cfg.sync_period)
    proc.add_runnable("proxier", lambda: proxier.run(proc.stopping), leader_only=False)


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.proxy",
                     description="kube-proxy: forwards each Service ClusterIP:port to a ready endpoint, in the "
                                 "kernel (nftables) or, where that is not possible, in this process.")
    if cfg.cleanup:  # a command, not a process: `kube-proxy --cleanup`
        check_config(COMPONENT, cfg)
        logs.setup(COMPONENT, cfg.log_level)
        cleanup(cfg, cfg.ident())
        return
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
