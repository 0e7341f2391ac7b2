"""kubelab's storage control plane: the PV/PVC binder, the built-in dynamic provisioners, the
attach/detach controller and the protection finalizers, in one process (see docs/storage.md).

    python -m services.provisioner --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    app.py           wiring: the controllers, their informers and event sources (setup)
    binder/          the PV controller (pkg/controller/volume/persistentvolume): claim_sync.py and
                     volume_sync.py decide (pure), actions.py their vocabulary, binding.py the new objects,
                     effects.py the writes and events, controller.py the reconcilers
    provisioning/    dynamic provisioning (sig-storage-lib-external-provisioner): decision.py (pure),
                     controller.py, plugin.py the provisioner interface, local_path.py (class `standard`),
                     network_disk.py, shared.py, sweeper.py (directories no volume owns)
    attachdetach/    VolumeAttachments for network disks (pkg/controller/volume/attachdetach): decision.py,
                     controller.py
    protection/      the pvc-protection and pv-protection finalizers: decision.py, controller.py
    assumed.py       objects just written, newer than the informers show yet
    indexes.py       shared informer indexes
    volumeutil.py    helpers only this process needs; the rules the scheduler shares are in kubelab/storage
    config.py        flags
"""
