"""`python -m services.endpoints`: the EndpointSlice and Endpoints controllers.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level,
--concurrent-service-endpoint-syncs, --concurrent-endpoint-syncs, --max-endpoints-per-slice,
--leader-elect (Lease kube-system/endpoints) with --leader-elect-lease-duration/-renew-deadline/
-retry-period/-resource-name/-resource-namespace/-identity, --shutdown-grace. `--help` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.controller import Controller
from kubelab.process import Process, ProcessConfig, new_config, run
from services.endpoints.endpoints import EndpointsReconciler
from services.endpoints.endpointslice import EndpointSliceReconciler

COMPONENT = "endpoints"


@dataclass(frozen=True)
class Config(ProcessConfig):
    concurrent_service_endpoint_syncs: int = 5
    """Services whose EndpointSlices are synced at once (kube-controller-manager's default)."""
    concurrent_endpoint_syncs: int = 5
    """Services whose Endpoints are synced at once (kube-controller-manager's default)."""
    max_endpoints_per_slice: int = 100
    """The most endpoints the controller puts in one EndpointSlice (1 to 1000)."""


def setup(cfg: Config):
    if not 1 <= cfg.max_endpoints_per_slice <= 1000:
        raise SystemExit(f"--max-endpoints-per-slice: invalid value {cfg.max_endpoints_per_slice}: must be "
                         "between 1 and 1000")

    def build(proc: Process) -> None:
        slices = EndpointSliceReconciler(proc.client, proc.informers, proc.recorder("endpoint-slice-controller"),
                                         max_endpoints_per_slice=cfg.max_endpoints_per_slice)
        proc.add_controller(Controller("endpointslice", slices, proc.informers, for_kind="Service",
                                       watches=slices.watches(), workers=cfg.concurrent_service_endpoint_syncs))
        endpoints = EndpointsReconciler(proc.client, proc.informers, proc.recorder("endpoint-controller"))
        ctrl = proc.add_controller(Controller("endpoint", endpoints, proc.informers, for_kind="Service",
                                              watches=endpoints.watches(), workers=cfg.concurrent_endpoint_syncs))
        endpoints.wire(ctrl)
        proc.add_runnable("endpoint-leftovers", lambda: endpoints.check_leftover_endpoints(ctrl))
    return build


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.endpoints",
                     description="The EndpointSlice and Endpoints controllers: a Service's endpoints from the pods "
                                 "its selector matches.")
    run(COMPONENT, cfg, setup(cfg))


if __name__ == "__main__":
    main()
