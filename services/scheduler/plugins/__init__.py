"""The in-tree plugins, one module each, and the default profile that strings them together in
kube-scheduler's order (filters: cheap node checks first, volumes last; score weights as upstream:
TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1)."""
from __future__ import annotations

from services.scheduler.cache import SchedulerCache
from services.scheduler.framework import Framework
from services.scheduler.plugins.balanced_allocation import BalancedAllocation
from services.scheduler.plugins.default_binder import DefaultBinder
from services.scheduler.plugins.default_preemption import DefaultPreemption
from services.scheduler.plugins.node_affinity import NodeAffinity
from services.scheduler.plugins.node_name import NodeName
from services.scheduler.plugins.node_resources_fit import NodeResourcesFit
from services.scheduler.plugins.node_unschedulable import NodeUnschedulable
from services.scheduler.plugins.taint_toleration import TaintToleration
from services.scheduler.plugins.volume_binding import VolumeBinding
from services.scheduler.plugins.volume_restrictions import VolumeRestrictions
from services.scheduler.volumebinder import VolumeBinder
from services.scheduler.volumecache import VolumeCache

__all__ = ["new_default_framework"]


def new_default_framework(cache: SchedulerCache, volumes: VolumeCache, client, bind_timeout: float = 600.0,
                          ) -> Framework:
    def node_labels(name: str) -> dict[str, str]:
        ni = cache.nodes.get(name)
        return ni.labels if ni is not None else {}

    binder = VolumeBinder(client, volumes, node_labels, bind_timeout)
    fwk: Framework

    def run_filters(state, pod, node):
        return fwk.run_filters(fwk.filters_for(state), state, pod, node)

    fwk = Framework([
        NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodeResourcesFit(),
        VolumeRestrictions(volumes, cache.claim_users), VolumeBinding(volumes, binder),
        DefaultPreemption(cache.node_infos, run_filters), BalancedAllocation(), DefaultBinder(client),
    ])
    return fwk
