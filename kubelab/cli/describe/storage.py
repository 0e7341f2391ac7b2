"""kubectl describe pages for PersistentVolumeClaims, PersistentVolumes and StorageClasses."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.cli.describe.page import PrefixWriter, Related, annotations_multiline, labels_multiline, rfc1123z
from kubelab.cli.describe.pods import describe_gce_pd, describe_nfs
from kubelab.printers import format as fmt
from kubelab.storage import volume

__all__ = ["describe_pvc", "describe_pv", "describe_storageclass"]


def describe_pvc(pvc: Message, related: Related, w: PrefixWriter) -> None:
    meta = pvc.metadata
    w.write(0, f"Name:\t{meta.name}\n")
    w.write(0, f"Namespace:\t{meta.namespace}\n")
    w.write(0, f"StorageClass:\t{volume.claim_class(pvc)}\n")
    if meta.HasField("deletion_timestamp"):
        w.write(0, f"Status:\tTerminating (lasts {fmt.since(meta, 'deletion_timestamp', related.now)})\n")
    else:
        w.write(0, f"Status:\t{pvc.status.phase}\n")
    w.write(0, f"Volume:\t{pvc.spec.volume_name}\n")
    labels_multiline(w, "Labels", meta.labels)
    annotations_multiline(w, "Annotations", meta.annotations)
    w.write(0, f"Finalizers:\t[{' '.join(meta.finalizers)}]\n")
    capacity = modes = ""
    if pvc.spec.volume_name:
        modes = volume.access_modes_key(pvc.status.access_modes)
        capacity = fmt.quantity(pvc.status.capacity.get("storage", ""))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if pvc.spec.HasField("volume_mode"):
        w.write(0, f"VolumeMode:\t{pvc.spec.volume_mode}\n")
    if pvc.spec.HasField("data_source"):
        w.write(0, "DataSource:\n")
        if pvc.spec.data_source.HasField("api_group"):
            w.write(1, f"APIGroup:\t{pvc.spec.data_source.api_group}\n")
        w.write(1, f"Kind:\t{pvc.spec.data_source.kind}\n")
        w.write(1, f"Name:\t{pvc.spec.data_source.name}\n")
    names = sorted(p.metadata.name for p in related.pods)
    w.write(0, "Used By:\t")
    if not names:
        w.line("<none>")
    for i, name in enumerate(names):
        w.write(0, ("\t" if i else "") + name + "\n")
    if pvc.status.conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in pvc.status.conditions:
            w.write(1, f"{c.type} \t{c.status} \t{rfc1123z(c, 'last_probe_time')} \t"
                       f"{rfc1123z(c, 'last_transition_time')} \t{c.reason} \t{c.message}\n")


def _node_affinity(w: PrefixWriter, pv: Message) -> None:
    w.write(0, "Node Affinity:\t")
    if not pv.spec.HasField("node_affinity") or not pv.spec.node_affinity.HasField("required"):
        w.line("<none>")
        return
    w.line("")
    terms = pv.spec.node_affinity.required.node_selector_terms
    w.write(1, "Required Terms:\t")
    if not terms:
        w.line("<none>")
        return
    w.line("")
    for i, term in enumerate(terms):
        w.write(2, f"Term {i}:\t")
        if not term.match_expressions:
            w.line("<none>")
        for j, req in enumerate(term.match_expressions):
            if j:
                w.write(2, "\t")
            expr = f"{req.key} {req.operator.lower()}" + (f" [{', '.join(req.values)}]" if req.values else "")
            w.write(0, expr + "\n")


def describe_pv(pv: Message, related: Related, w: PrefixWriter) -> None:
    meta, spec = pv.metadata, pv.spec
    w.write(0, f"Name:\t{meta.name}\n")
    labels_multiline(w, "Labels", meta.labels)
    annotations_multiline(w, "Annotations", meta.annotations)
    w.write(0, f"Finalizers:\t[{' '.join(meta.finalizers)}]\n")
    w.write(0, f"StorageClass:\t{volume.volume_class(pv)}\n")
    if meta.HasField("deletion_timestamp"):
        w.write(0, f"Status:\tTerminating (lasts {fmt.since(meta, 'deletion_timestamp', related.now)})\n")
    else:
        w.write(0, f"Status:\t{pv.status.phase}\n")
    claim = f"{spec.claim_ref.namespace}/{spec.claim_ref.name}" if spec.HasField("claim_ref") else ""
    w.write(0, f"Claim:\t{claim}\n")
    w.write(0, f"Reclaim Policy:\t{spec.persistent_volume_reclaim_policy}\n")
    w.write(0, f"Access Modes:\t{volume.access_modes_key(spec.access_modes)}\n")
    if spec.HasField("volume_mode"):
        w.write(0, f"VolumeMode:\t{spec.volume_mode}\n")
    w.write(0, f"Capacity:\t{fmt.quantity(spec.capacity.get('storage', ''))}\n")
    _node_affinity(w, pv)
    w.write(0, f"Message:\t{pv.status.message}\n")
    w.write(0, "Source:\n")
    if spec.HasField("host_path"):
        kind = spec.host_path.type if spec.host_path.HasField("type") else "<none>"
        w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{spec.host_path.path}\n"
                   f"    HostPathType:\t{kind}\n")
    elif spec.HasField("local"):
        w.write(2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
                   f"    Path:\t{spec.local.path}\n")
    elif spec.HasField("nfs"):
        describe_nfs(w, spec.nfs)
    elif spec.HasField("gce_persistent_disk"):
        describe_gce_pd(w, spec.gce_persistent_disk)
    elif spec.HasField("csi"):
        c = spec.csi
        w.write(2, f"Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{c.driver}\n"
                   f"    FSType:\t{c.fs_type}\n    VolumeHandle:\t{c.volume_handle}\n"
                   f"    ReadOnly:\t{fmt.bool_str(c.read_only)}\n")
        labels_multiline(w, "    VolumeAttributes", c.volume_attributes)
    else:
        w.write(1, "<unknown>\n")


def describe_storageclass(sc: Message, related: Related, w: PrefixWriter) -> None:
    w.write(0, f"Name:\t{sc.metadata.name}\n")
    w.write(0, f"IsDefaultClass:\t{'Yes' if volume.is_default_class(sc) else 'No'}\n")
    w.write(0, f"Annotations:\t{fmt.format_labels(sc.metadata.annotations)}\n")
    w.write(0, f"Provisioner:\t{sc.provisioner}\n")
    w.write(0, f"Parameters:\t{fmt.format_labels(sc.parameters)}\n")
    expand = ("True" if sc.allow_volume_expansion else "False") if sc.HasField("allow_volume_expansion") else "<unset>"
    w.write(0, f"AllowVolumeExpansion:\t{expand}\n")
    if not sc.mount_options:
        w.write(0, "MountOptions:\t<none>\n")
    else:
        w.write(0, "MountOptions:\n")
        for option in sc.mount_options:
            w.write(1, f"{option}\n")
    if sc.HasField("reclaim_policy"):
        w.write(0, f"ReclaimPolicy:\t{sc.reclaim_policy}\n")
    if sc.HasField("volume_binding_mode"):
        w.write(0, f"VolumeBindingMode:\t{sc.volume_binding_mode}\n")
