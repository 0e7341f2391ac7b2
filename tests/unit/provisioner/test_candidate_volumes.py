"""The binder reads only an unbound claim's candidate volumes (the indexes), and decides exactly as it would
with every volume in the cache, overlaid with what it wrote itself."""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kubelab.informer import InformerFactory
from services.provisioner.assumed import Assumed
from services.provisioner.binder.actions import Bind
from services.provisioner.binder.claim_sync import ClaimSnapshot, decide_claim
from services.provisioner.binder.controller import BinderContext
from services.provisioner.indexes import add_indexes
from tests.unit.provisioner.objects import pv, pvc, storage_class

CLASSES = [storage_class("fast"), storage_class("local", "kubelab.io/local-path", "WaitForFirstConsumer")]


class Provisioners:
    names = ("kubelab.io/network-disk", "kubelab.io/local-path")


def context(volumes) -> BinderContext:
    factory = InformerFactory(None)
    add_indexes(factory)
    factory.informer("StorageClass")._replace(CLASSES, "1")
    factory.informer("PersistentVolume")._replace(volumes, "1")
    return BinderContext(None, factory, Provisioners(), Assumed(), 15.0)


def decide(ctx: BinderContext, claim, volumes) -> list:
    return decide_claim(ClaimSnapshot(claim, volumes, {c.metadata.name: c for c in CLASSES}, (),
                                      Provisioners.names))


CLAIMS = {
    "immediate": pvc("a", cls="fast"),
    "wait-for-consumer": pvc("b", cls="local"),
    "wait-for-consumer, node selected": pvc("c", cls="local",
                                             annotations={"volume.kubernetes.io/selected-node": "n1"}),
    "no class": pvc("d", cls=""),
    "pre-bound by claimRef, other class": pvc("e", cls="fast", modes=("ReadWriteOnce", "ReadOnlyMany")),
    "class not found": pvc("f", cls="gone"),
}


def volumes():
    return [pv("fast-small", "1Gi", cls="fast"), pv("fast-big", "5Gi", cls="fast"),
            pv("fast-rwo-rox", "1Gi", ("ReadWriteOnce", "ReadOnlyMany"), cls="fast"),
            pv("local-for-b", cls="local", claim=CLAIMS["wait-for-consumer"], phase="Available"),
            pv("local-for-c", cls="local", claim=CLAIMS["wait-for-consumer, node selected"]),
            pv("local-other", cls="local"), pv("none-1", cls=""),
            pv("slow-for-e", "1Gi", ("ReadWriteOnce", "ReadOnlyMany"), cls="slow",
               claim=CLAIMS["pre-bound by claimRef, other class"], claim_uid=""),
            pv("taken", cls="fast", claim=pvc("z"), phase="Bound")]


@pytest.mark.parametrize("case", sorted(CLAIMS))
def test_candidates_decide_as_every_volume_would(case):
    ctx = context(volumes())
    claim = CLAIMS[case]
    everything = {v.metadata.name: v for v in ctx.volumes.list()}
    assert decide(ctx, claim, ctx.candidate_volumes(claim)) == decide(ctx, claim, everything)


def test_candidates_are_the_unclaimed_of_the_class_and_the_claims_own():
    ctx = context(volumes())
    # "taken" (claimed by another claim) is in the class but never a candidate.
    assert sorted(ctx.candidate_volumes(CLAIMS["immediate"])) == ["fast-big", "fast-rwo-rox", "fast-small"]
    assert sorted(ctx.candidate_volumes(CLAIMS["wait-for-consumer"])) == ["local-for-b"]  # the scheduler picks
    assert sorted(ctx.candidate_volumes(CLAIMS["no class"])) == ["none-1"]
    assert sorted(ctx.candidate_volumes(CLAIMS["pre-bound by claimRef, other class"])) == [
        "fast-big", "fast-rwo-rox", "fast-small", "slow-for-e"]


def test_bound_volumes_of_the_class_are_not_read():
    """The cost of a sync is that of the candidates: a thousand bound volumes in the class add nothing."""
    bound = [pv(f"bound-{i}", cls="fast", claim=pvc(f"other-{i}"), phase="Bound") for i in range(1000)]
    ctx = context(volumes() + bound)
    assert sorted(ctx.candidate_volumes(CLAIMS["immediate"])) == ["fast-big", "fast-rwo-rox", "fast-small"]


def test_own_writes_overlay_the_candidates():
    ctx = context(volumes())
    mine = pv("fast-small", "1Gi", cls="fast", claim=pvc("other"), phase="Bound")
    mine.metadata.resource_version = "2"
    ctx.assumed.remember("PersistentVolume", "fast-small", mine)
    got = ctx.candidate_volumes(CLAIMS["immediate"])["fast-small"]
    assert got.spec.claim_ref.name == "other"


def _newer(volume, **changes):
    """What this process wrote: the volume one resourceVersion later."""
    new = pv(volume.metadata.name, volume.spec.capacity["storage"], tuple(volume.spec.access_modes),
             cls=volume.spec.storage_class_name, **changes)
    new.metadata.resource_version = str(int(volume.metadata.resource_version) + 1)
    return new


def test_a_volume_just_unbound_is_a_candidate_before_the_informer_says_so():
    taken = pv("taken", "1Gi", cls="fast", claim=pvc("z"), phase="Bound")
    ctx = context([taken])
    ctx.assumed.remember("PersistentVolume", "taken", _newer(taken, phase="Available"))  # Unbind
    got = ctx.candidate_volumes(CLAIMS["immediate"])
    assert list(got) == ["taken"] and not got["taken"].spec.HasField("claim_ref")
    assert decide(ctx, CLAIMS["immediate"], got)[0].volume_name == "taken"


def test_a_volume_just_bound_to_the_claim_stays_its_candidate():
    claim = CLAIMS["immediate"]
    taken = pv("taken", "1Gi", cls="fast", claim=pvc("z"), phase="Bound")
    ctx = context([taken])
    ctx.assumed.remember("PersistentVolume", "taken", _newer(taken, claim=claim))  # unbound, then bound to a
    assert ctx.candidate_volumes(claim)["taken"].spec.claim_ref.name == "a"


def test_an_own_write_the_informer_has_caught_up_with_frees_nothing():
    taken = pv("taken", "1Gi", cls="fast", claim=pvc("z"), phase="Bound")
    ctx = context([taken])
    stale = _newer(taken, phase="Available")
    stale.metadata.resource_version = "1"  # the informer's copy is as new: it wins
    ctx.assumed.remember("PersistentVolume", "taken", stale)
    got = ctx.candidate_volumes(CLAIMS["immediate"])
    assert all(v.spec.claim_ref.name == "z" for v in got.values())
    assert not any(isinstance(a, Bind) for a in decide(ctx, CLAIMS["immediate"], got))


_OWNERS = {"none": None, "the claim": CLAIMS["immediate"], "another claim": pvc("z"), "same name, other uid":
           pvc("a", uid="uid-old")}
_volume = st.builds(
    lambda i, size, modes, cls, owner, phase: pv(f"v{i}", size, modes, cls=cls, claim=_OWNERS[owner], phase=phase),
    st.integers(0, 3), st.sampled_from(["1Gi", "2Gi", "500Mi"]),
    st.sampled_from([("ReadWriteOnce",), ("ReadWriteOnce", "ReadOnlyMany"), ("ReadWriteMany",)]),
    st.sampled_from(["fast", "fast", "local", ""]), st.sampled_from(sorted(_OWNERS)),
    st.sampled_from(["Available", "Bound", "Released"]))


@settings(max_examples=500, deadline=None)
@given(cached=st.lists(_volume, max_size=4, unique_by=lambda v: v.metadata.name),
       written=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(sorted(_OWNERS)),
                                  st.sampled_from(["Available", "Bound"]), st.booleans()), max_size=4),
       case=st.sampled_from(sorted(CLAIMS)))
@example(cached=[pv("v0", cls="fast", claim=pvc("z"), phase="Bound")], written=[(0, "none", "Available", True)],
         case="immediate")  # unbound here, still claimed in the informer
def test_candidates_decide_as_every_volume_overlaid_would(cached, written, case):
    """Any cache, any own writes on top of it (newer or already caught up with): the same decision."""
    ctx = context(cached)
    by_name = {v.metadata.name: v for v in cached}
    for i, owner, phase, newer in written:
        if f"v{i}" in by_name:
            mine = _newer(by_name[f"v{i}"], claim=_OWNERS[owner], phase=phase)
            if not newer:
                mine.metadata.resource_version = by_name[f"v{i}"].metadata.resource_version
            ctx.assumed.remember("PersistentVolume", f"v{i}", mine)
    claim = CLAIMS[case]
    candidates = ctx.candidate_volumes(claim)
    everything = {v.metadata.name: ctx.assumed.latest("PersistentVolume", v.metadata.name, v)
                  for v in ctx.volumes.list()}
    assert decide(ctx, claim, candidates) == decide(ctx, claim, everything)
