"""Wiring: the provisioner process's controllers, their informers, indexes and event sources.

| controller | key | does | events from |
|---|---|---|---|
| `persistentvolume-binder-claims` | claim | binding, default class, hand-over | persistentvolume-controller |
| `persistentvolume-binder-volumes` | volume | phases, release, static reclaim | persistentvolume-controller |
| `provisioner-claims` | claim | dynamic provisioning by the plugins | the plugin's name |
| `provisioner-volumes` | volume | deleting released volumes they own | the plugin's name |
| `attachdetach` | volume | network disks' VolumeAttachments | attachdetach-controller |
| `pvc-protection`, `pv-protection` | claim, volume | the protection finalizers | |

plus the orphan sweep. All of them act only while this replica leads (Lease kube-system/provisioner).
"""
from __future__ import annotations

from pathlib import Path

from kubelab.controller import Controller
from kubelab.events import EventRecorder
from kubelab.process import Process
from kubelab.workqueue import BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, WorkQueue

from services.provisioner.assumed import Assumed
from services.provisioner.attachdetach.controller import AttachDetach
from services.provisioner.binder.controller import BinderContext, ClaimBinder, VolumeBinder
from services.provisioner.binder.effects import BinderEffects
from services.provisioner.config import Config
from services.provisioner.indexes import add_indexes
from services.provisioner.protection.controller import ClaimProtection, VolumeProtection
from services.provisioner.provisioning.controller import ClaimProvisioner, VolumeDeleter
from services.provisioner.provisioning.decision import claim_provisioner
from services.provisioner.provisioning.local_path import LocalPathProvisioner
from services.provisioner.provisioning.network_disk import NetworkDiskProvisioner
from services.provisioner.provisioning.plugin import Provisioner, ProvisionerSet
from services.provisioner.provisioning.shared import SharedProvisioner
from services.provisioner.provisioning.sweeper import OrphanSweeper
from services.provisioner.volumeutil import pod_claim_keys

__all__ = ["setup", "builtin_provisioners"]


def builtin_provisioners(cluster_dir: Path) -> ProvisionerSet:
    """Every built-in provisioner; a new one is a new file and one more entry here."""
    return ProvisionerSet([LocalPathProvisioner(cluster_dir), NetworkDiskProvisioner(cluster_dir),
                           SharedProvisioner(cluster_dir)])


def _provisioning_queue(name: str) -> WorkQueue[str]:
    """Failed provisioning backs off from 0.5s to 5 minutes per claim (the library: 15s to 1000s)."""
    return WorkQueue(name, rate_limiter=MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.5, 300.0),
                                                         BucketRateLimiter(10.0, 100)))


def setup(proc: Process) -> None:
    cfg: Config = proc.config
    informers, client = proc.informers, proc.client
    provisioners = builtin_provisioners(cfg.cluster_path())
    add_indexes(informers)
    _add_binder(proc, cfg, provisioners)
    _add_provisioning(proc, cfg, provisioners)
    attach = AttachDetach(client, informers, proc.recorder("attachdetach-controller"), cfg.attach_resync_period)
    proc.add_controller(Controller(
        "attachdetach", attach, informers, for_kind="PersistentVolume",
        watches=[("Pod", attach.volumes_of_pod), ("PersistentVolumeClaim", attach.volume_of_claim),
                 ("VolumeAttachment", attach.volume_of_attachment), ("Node", attach.volumes_on_node)]))
    proc.add_controller(Controller("pvc-protection", ClaimProtection(client, informers), informers,
                                   for_kind="PersistentVolumeClaim", watches=[("Pod", pod_claim_keys)]))
    proc.add_controller(Controller("pv-protection", VolumeProtection(client, informers), informers,
                                   for_kind="PersistentVolume"))


def _add_binder(proc: Process, cfg: Config, provisioners: ProvisionerSet) -> None:
    ctx = BinderContext(proc.client, proc.informers, provisioners, Assumed(), cfg.pvclaimbinder_sync_period)
    claims: Controller | None = None
    effects = BinderEffects(proc.client, proc.recorder("persistentvolume-controller"), ctx.assumed,
                            lambda key: claims.queue.add(key), cfg.cluster_path())
    claim_binder, volume_binder = ClaimBinder(ctx, effects), VolumeBinder(ctx, effects)
    claims = proc.add_controller(Controller(
        "persistentvolume-binder-claims", claim_binder, proc.informers, for_kind="PersistentVolumeClaim",
        watches=[("PersistentVolume", claim_binder.claims_of_volume),
                 ("StorageClass", claim_binder.unbound_claims)]))
    proc.add_controller(Controller(
        "persistentvolume-binder-volumes", volume_binder, proc.informers, for_kind="PersistentVolume",
        watches=[("PersistentVolumeClaim", volume_binder.volumes_of_claim)]))


def _add_provisioning(proc: Process, cfg: Config, provisioners: ProvisionerSet) -> None:
    recorders = {p.name: proc.recorder(p.name) for p in provisioners.all}

    def recorder(plugin: Provisioner) -> EventRecorder:
        return recorders[plugin.name]

    in_flight: set[str] = set()
    provisioner = ClaimProvisioner(proc.client, proc.informers, provisioners, recorder,
                                   latency=cfg.provision_latency, in_flight=in_flight)

    def waiting_claims(_class) -> list[str]:
        return [f"{c.metadata.namespace}/{c.metadata.name}" for c in provisioner.claims.list()
                if not c.spec.volume_name and claim_provisioner(c) in provisioners.names]

    proc.add_controller(Controller("provisioner-claims", provisioner, proc.informers,
                                   for_kind="PersistentVolumeClaim", watches=[("StorageClass", waiting_claims)],
                                   workers=cfg.workers, new_queue=_provisioning_queue))
    proc.add_controller(Controller("provisioner-volumes", VolumeDeleter(proc.client, proc.informers, provisioners,
                                                                        recorder),
                                   proc.informers, for_kind="PersistentVolume", workers=cfg.workers,
                                   new_queue=_provisioning_queue))
    sweeper = OrphanSweeper(proc.client, proc.informers, provisioners, in_flight, cfg.orphan_sweep_period,
                            proc.stopping)
    proc.add_runnable("orphan-sweep", sweeper.run)
