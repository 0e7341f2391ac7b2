"""The scheduler and the binder choose a claim's volume by one rule (kubelab/storage/matching.py).

Claims and volumes are generated; each process is asked through its own entry point: the scheduler's
VolumeBinding plugin (PreFilter then Filter on a node, the claim's class WaitForFirstConsumer) and the
binder's `decide_claim` (the same class Immediate, so it binds unbound volumes itself). Both answers
are checked against an oracle written from upstream's FindMatchingVolume, and against each other:
- the scheduler takes the smallest fitting volume (then the first name) among all access-mode sets;
- the binder searches the access-mode sets fewest modes first (findBestMatchForClaim), so the two agree
  whenever the volumes share one set, and, in any case, the scheduler shown only the binder's chosen
  set picks the binder's volume;
- a volume whose claimRef names the claim, with the claim's uid or without one, is both processes'
  choice (on a node it admits), whatever the other volumes; one naming another claim, or this claim's
  name with another uid, is neither's.
Sizes are written in forms where integer rounding and exact comparison disagree (`1.5`, `1500m`).
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.labels import label_selector_as_selector
from kubelab.quantity import parse_quantity
from kubelab.storage.volume import NOT_SUPPORTED_PROVISIONER
from services.provisioner.binder.actions import Bind
from services.provisioner.binder.claim_sync import ClaimSnapshot, decide_claim
from services.scheduler.framework import CycleState
from services.scheduler.plugins.volume_binding import VolumeBinding
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, node, node_info, pod

MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
SIZES = ("1", "1.5", "2", "1500m", "1k", "1Ki", "1024", "0.5Ki", "512", "2e3", "1M", "1Mi")
NODE = node("n1", labels={"zone": "a"})
HOSTNAME = "kubernetes.io/hostname"

claims = st.fixed_dictionaries({
    "size": st.sampled_from(SIZES),
    "cls": st.sampled_from(("fast", "slow")),
    "modes": st.sets(st.sampled_from(MODES), min_size=1, max_size=2),
    "volume_mode": st.sampled_from((None, "Filesystem", "Block")),
    "vac": st.sampled_from((None, "gold")),
    "selector": st.sampled_from((None, "db")),
})
volumes = st.lists(st.fixed_dictionaries({
    "size": st.sampled_from(SIZES),
    "cls": st.sampled_from(("fast", "slow", "")),
    "modes": st.sets(st.sampled_from(MODES), min_size=1, max_size=3),
    "volume_mode": st.sampled_from((None, "Filesystem", "Block")),
    "vac": st.sampled_from((None, "gold")),
    "tier": st.sampled_from((None, "db", "web")),
    "phase": st.sampled_from(("Available", "Available", "Bound", "Released")),
    "deleting": st.booleans(),
    # pre-bound to the claim with or without its uid; its name with a stale uid; another claim's
    "claim_ref": st.sampled_from((None, None, None, "pre-bound", "pre-bound-uid", "stale-uid", "other",
                                  "other-uid")),
    "host": st.sampled_from((None, None, "n1", "n2")),
}), max_size=6)


def new_claim(c: dict) -> core_pb2.PersistentVolumeClaim:
    pvc = core_pb2.PersistentVolumeClaim()
    pvc.metadata.name, pvc.metadata.namespace, pvc.metadata.uid = "data", "default", "uid-data"
    pvc.metadata.resource_version = "1"
    pvc.spec.resources.requests["storage"] = c["size"]
    pvc.spec.storage_class_name = c["cls"]
    pvc.spec.access_modes.extend(sorted(c["modes"]))
    if c["volume_mode"] is not None:
        pvc.spec.volume_mode = c["volume_mode"]
    if c["vac"] is not None:
        pvc.spec.volume_attributes_class_name = c["vac"]
    if c["selector"] is not None:
        pvc.spec.selector.match_labels["tier"] = c["selector"]
    pvc.status.phase = "Pending"
    return pvc


def new_volume(i: int, v: dict) -> core_pb2.PersistentVolume:
    pv = core_pb2.PersistentVolume()
    pv.metadata.name, pv.metadata.resource_version = f"pv-{i}", "1"
    pv.spec.capacity["storage"] = v["size"]
    pv.spec.storage_class_name = v["cls"]
    pv.spec.access_modes.extend(sorted(v["modes"]))
    if v["volume_mode"] is not None:
        pv.spec.volume_mode = v["volume_mode"]
    if v["vac"] is not None:
        pv.spec.volume_attributes_class_name = v["vac"]
    if v["tier"] is not None:
        pv.metadata.labels["tier"] = v["tier"]
    if v["deleting"]:
        pv.metadata.deletion_timestamp.FromSeconds(1)
    ref = v["claim_ref"]
    if ref is not None:
        name = "other" if ref.startswith("other") else "data"
        pv.spec.claim_ref.namespace, pv.spec.claim_ref.name = "default", name
        pv.spec.claim_ref.uid = {"pre-bound-uid": "uid-data", "stale-uid": "uid-old", "other-uid": "uid-other"}.get(ref, "")
    if v["host"] is not None:
        term = pv.spec.node_affinity.required.node_selector_terms.add()
        term.match_expressions.add(key=HOSTNAME, operator="In", values=[v["host"]])
    pv.status.phase = v["phase"]
    return pv


def scheduler_choice(claim: core_pb2.PersistentVolumeClaim, pvs: list) -> str | None:
    sc = storage_pb2.StorageClass(provisioner=NOT_SUPPORTED_PROVISIONER, volume_binding_mode="WaitForFirstConsumer")
    sc.metadata.name = claim.spec.storage_class_name
    plugin = VolumeBinding(VolumeCache(Store(claim), Store(*pvs), Store(sc)), binder=None)
    state, p = CycleState(), pod("p", claims=["data"])
    assert plugin.pre_filter(state, p).success
    if not plugin.filter(state, p, node_info(NODE)).success:
        return None
    plugin.reserve(state, p, "n1")
    static, _dynamic = state.read("PreFilterVolumeBinding").reserved
    return static[0][1].metadata.name


def binder_choice(claim: core_pb2.PersistentVolumeClaim, pvs: list) -> str | None:
    sc = storage_pb2.StorageClass(provisioner=NOT_SUPPORTED_PROVISIONER, volume_binding_mode="Immediate")
    sc.metadata.name = claim.spec.storage_class_name
    actions = decide_claim(ClaimSnapshot(claim, {pv.metadata.name: pv for pv in pvs}, {sc.metadata.name: sc}))
    binds = [a.volume_name for a in actions if isinstance(a, Bind)]
    return binds[0] if binds else None


# --- the oracle: upstream's FindMatchingVolume, written out again from its comments --------------------

def _mode(obj) -> str:
    return obj.spec.volume_mode if obj.spec.HasField("volume_mode") else "Filesystem"


def _vac(obj) -> str:
    return obj.spec.volume_attributes_class_name if obj.spec.HasField("volume_attributes_class_name") else ""


def _size(q: str) -> Fraction:
    return parse_quantity(q)


def _admits_node(pv) -> bool:
    terms = pv.spec.node_affinity.required.node_selector_terms
    return not terms or any(e.values[0] == "n1" for t in terms for e in t.match_expressions)


def _usable(claim, pv) -> bool:
    return not (_size(pv.spec.capacity["storage"]) < _size(claim.spec.resources.requests["storage"])
                or _mode(pv) != _mode(claim) or _vac(pv) != _vac(claim) or pv.metadata.HasField("deletion_timestamp"))


def pre_bound(claim, pvs):
    """The volume pre-bound to the claim that FindMatchingVolume takes first, whatever else is offered."""
    mine = [pv for pv in pvs if pv.spec.HasField("claim_ref") and pv.spec.claim_ref.name == "data"
            and pv.spec.claim_ref.uid in ("", "uid-data") and _usable(claim, pv)]
    return min(mine, key=lambda pv: pv.metadata.name) if mine else None


def oracle(claim, pvs, on_node: bool) -> str | None:
    """The volume FindMatchingVolume returns; `on_node`: the scheduler's path (node n1)."""
    first = pre_bound(claim, pvs)
    if first is not None:
        return first.metadata.name if not on_node or _admits_node(first) else None
    fitting = []
    selector = label_selector_as_selector(claim.spec.selector) if claim.spec.HasField("selector") else None
    for pv in pvs:
        if pv.spec.HasField("claim_ref") or not _usable(claim, pv):
            continue
        if pv.status.phase != "Available" or pv.spec.storage_class_name != claim.spec.storage_class_name:
            continue
        if selector is not None and not selector.matches(pv.metadata.labels):
            continue
        if on_node and (not _admits_node(pv) or not set(claim.spec.access_modes) <= set(pv.spec.access_modes)):
            continue
        fitting.append(pv)
    if not fitting:
        return None
    return min(fitting, key=lambda pv: (_size(pv.spec.capacity["storage"]), pv.metadata.name)).metadata.name


def mode_groups(claim, pvs) -> list[list]:
    """findBestMatchForClaim's search order: the volumes' access-mode sets holding every requested mode,
    fewest modes first."""
    order = {m: i for i, m in enumerate(MODES)}
    want = set(claim.spec.access_modes)
    keys = {tuple(sorted(set(pv.spec.access_modes), key=order.get)) for pv in pvs}
    keys = sorted((k for k in keys if want <= set(k)), key=lambda k: (len(k), [order[m] for m in k]))
    return [[pv for pv in pvs if tuple(sorted(set(pv.spec.access_modes), key=order.get)) == k] for k in keys]


def binder_oracle(claim, pvs) -> str | None:
    """findBestMatchForClaim, with the pre-bound volume first whatever its access modes (as the scheduler)."""
    first = pre_bound(claim, pvs)
    if first is not None:
        return first.metadata.name
    for group in mode_groups(claim, pvs):
        found = oracle(claim, group, on_node=False)
        if found is not None:
            return found
    return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims, volumes)
def test_scheduler_and_binder_choose_by_one_rule(c, vs):
    claim, pvs = new_claim(c), [new_volume(i, v) for i, v in enumerate(vs)]
    on_scheduler, on_binder = scheduler_choice(claim, pvs), binder_choice(claim, pvs)
    assert on_scheduler == oracle(claim, pvs, on_node=True)
    assert on_binder == binder_oracle(claim, pvs)
    first = pre_bound(claim, pvs)
    if first is not None and _admits_node(first):
        assert on_scheduler == on_binder == first.metadata.name
    if first is None and on_binder is not None and all(_admits_node(pv) for pv in pvs):
        group = next(g for g in mode_groups(claim, pvs) if on_binder in {pv.metadata.name for pv in g})
        assert scheduler_choice(claim, group) == on_binder
    if len({frozenset(pv.spec.access_modes) for pv in pvs}) == 1 and all(_admits_node(pv) for pv in pvs):
        if set(claim.spec.access_modes) <= set(pvs[0].spec.access_modes):
            assert on_scheduler == on_binder


def test_sizes_compare_exactly_on_both_paths():
    """A volume of 1.5 bytes fits neither process's claim for 2 (rounding up to bytes would say it fits)."""
    claim = new_claim({"size": "2", "cls": "fast", "modes": {"ReadWriteOnce"}, "volume_mode": None, "vac": None,
                       "selector": None})
    small = new_volume(0, {"size": "1500m", "cls": "fast", "modes": {"ReadWriteOnce"}, "volume_mode": None,
                           "vac": None, "tier": None, "phase": "Available", "deleting": False, "claim_ref": None,
                           "host": None})
    assert scheduler_choice(claim, [small]) is None and binder_choice(claim, [small]) is None
