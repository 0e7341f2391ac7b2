"""`python -m services.endpoints`: the EndpointSlice and Endpoints controllers.

Flags (each also from KUBELAB_<NAME>): --apiserver, --listen, --metrics-listen, --log-level,
--concurrent-service-endpoint-syncs, --concurrent-endpoint-syncs, --max-endpoints-per-slice,
--leader-elect (Lease kube-system/endpoints) with --leader-elect-lease-duration/-renew-deadline/
-retry-period/-resource-name/-resource-namespace/-identity, --shutdown-grace. `--help` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab import fielderrors
from kubelab.config import new_config
from kubelab.controller import Controller
from kubelab.fielderrors import FieldError
from kubelab.process import Process, ProcessConfig, run
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

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if not 1 <= self.max_endpoints_per_slice <= 1000:  # kube-controller-manager's range
            errors.append(fielderrors.invalid("--max-endpoints-per-slice", self.max_endpoints_per_slice,
                                              "must be between 1 and 1000"))
        return errors


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    slices = EndpointSliceReconciler(proc.client, proc.informers, proc.recorder("endpoint-slice-controller"),
                                     max_endpoints_per_slice=cfg.max_endpoints_per_slice)
    proc.add_controller(Controller("endpointslice", slices, proc.informers, for_kind="Service",
                                   watches=slices.watches(), workers=cfg.concurrent_service_endpoint_syncs))
    endpoints = EndpointsReconciler(proc.client, proc.informers, proc.recorder("endpoint-controller"))
    ctrl = proc.add_controller(Controller("endpoint", endpoints, proc.informers, for_kind="Service",
                                          watches=endpoints.watches(), workers=cfg.concurrent_endpoint_syncs))
    endpoints.wire(ctrl)
    proc.add_runnable("endpoint-leftovers", lambda: endpoints.check_leftover_endpoints(ctrl))


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.endpoints",
                     description="The EndpointSlice and Endpoints controllers: a Service's endpoints from the pods "
                                 "its selector matches.")
    run(COMPONENT, cfg, setup)


if __name__ == "__main__":
    main()
