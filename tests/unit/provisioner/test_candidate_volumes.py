"""The binder reads only an unbound claim's candidate volumes (the indexes), and decides exactly as it would
with every volume in the cache."""
from __future__ import annotations

import pytest

from kubelab.informer import InformerFactory
from services.provisioner.assumed import Assumed
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


def test_candidates_are_the_class_and_the_claims_own():
    ctx = context(volumes())
    assert sorted(ctx.candidate_volumes(CLAIMS["immediate"])) == ["fast-big", "fast-rwo-rox", "fast-small", "taken"]
    assert sorted(ctx.candidate_volumes(CLAIMS["wait-for-consumer"])) == ["local-for-b"]  # the scheduler picks
    assert sorted(ctx.candidate_volumes(CLAIMS["no class"])) == ["none-1"]
    assert sorted(ctx.candidate_volumes(CLAIMS["pre-bound by claimRef, other class"])) == [
        "fast-big", "fast-rwo-rox", "fast-small", "slow-for-e", "taken"]


def test_own_writes_overlay_the_candidates():
    ctx = context(volumes())
    mine = pv("fast-small", "1Gi", cls="fast", claim=pvc("other"), phase="Bound")
    mine.metadata.resource_version = "2"
    ctx.assumed.remember("PersistentVolume", "fast-small", mine)
    got = ctx.candidate_volumes(CLAIMS["immediate"])["fast-small"]
    assert got.spec.claim_ref.name == "other"
