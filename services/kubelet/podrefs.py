"""Which ConfigMaps and Secrets a pod reads (k/k pkg/api/v1/pod/util.go VisitPodConfigmapNames and
VisitPodSecretNames): through env, envFrom and volumes. The kubelet wakes a pod's worker when one of them
changes, so that a waiting container starts and projected files are rewritten promptly."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2

__all__ = ["referenced_objects"]


def _containers(spec: core_pb2.PodSpec):
    return list(spec.init_containers) + list(spec.containers)


def referenced_objects(pod: core_pb2.Pod) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret the pod's containers and volumes name."""
    refs: set[tuple[str, str]] = set()
    for c in _containers(pod.spec):
        for src in c.env_from:
            if src.HasField("config_map_ref"):
                refs.add(("ConfigMap", src.config_map_ref.name))
            if src.HasField("secret_ref"):
                refs.add(("Secret", src.secret_ref.name))
        for var in c.env:
            vf = var.value_from
            if vf.HasField("config_map_key_ref"):
                refs.add(("ConfigMap", vf.config_map_key_ref.name))
            if vf.HasField("secret_key_ref"):
                refs.add(("Secret", vf.secret_key_ref.name))
    for vol in pod.spec.volumes:
        if vol.HasField("config_map"):
            refs.add(("ConfigMap", vol.config_map.name))
        if vol.HasField("secret"):
            refs.add(("Secret", vol.secret.secret_name))
        for source in vol.projected.sources:
            if source.HasField("config_map"):
                refs.add(("ConfigMap", source.config_map.name))
            if source.HasField("secret"):
                refs.add(("Secret", source.secret.name))
    return refs
