"""kubelab's storage control plane: the PV/PVC binder, the built-in dynamic provisioners, the
attach/detach controller and the protection finalizers, in one process (see docs/storage.md)."""
