"""`python -m services.provisioner`: kubelab's storage control plane."""
from __future__ import annotations

from kubelab.config import new_config
from kubelab.process import run

from services.provisioner.app import setup
from services.provisioner.config import Config


def main(argv: list[str] | None = None) -> None:
    cfg = new_config(Config, argv, prog="python -m services.provisioner",
                     description="PV/PVC binder, dynamic provisioners, attach/detach, protection finalizers")
    run("provisioner", cfg, setup)


if __name__ == "__main__":
    main()
