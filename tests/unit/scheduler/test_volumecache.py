"""The assume cache: assumptions shadow the informer until a newer version arrives."""
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, claim, storage_class, volume


def test_assumed_objects_shadow_the_informer_until_a_newer_version_arrives():
    pvs, pvcs = Store(volume("pv-1", rv="5")), Store(claim("data", rv="7"))
    cache = VolumeCache(pvcs, pvs, Store(storage_class()))
    assumed = volume("pv-1", rv="5", claim_ref=claim("data"))
    cache.assume_pv(assumed)
    assert cache.pv("pv-1") is assumed
    assert [pv.metadata.name for pv in cache.unbound_pvs()] == ["pv-1"]  # overlaid, still listed
    assert cache.unbound_pvs()[0].spec.claim_ref.name == "data"
    pvs.put(volume("pv-1", rv="6", claim_ref=claim("data")))  # the write landed
    assert cache.pv("pv-1").metadata.resource_version == "6"
    assert cache.unbound_pvs() == []


def test_restore_drops_the_assumption():
    pvcs = Store(claim("data"))
    cache = VolumeCache(pvcs, Store(), Store())
    c = claim("data")
    c.metadata.annotations["x"] = "y"
    cache.assume_pvc(c)
    assert cache.pvc("default", "data").metadata.annotations["x"] == "y"
    cache.restore_pvc("default/data")
    assert "x" not in cache.pvc("default", "data").metadata.annotations


def test_classes_by_name():
    cache = VolumeCache(Store(), Store(), Store(storage_class("standard")))
    assert cache.storage_class("standard").provisioner == "kubelab.io/local-path"
    assert cache.storage_class("") is None and cache.storage_class("nope") is None


def test_candidates_are_the_unbound_volumes_and_those_naming_the_claims():
    """A volume whose claimRef names the claim with its uid (the binder's first write, or a user's) is a
    candidate: FindMatchingVolume takes it first, as the binder does."""
    data, other = claim("data"), claim("other")
    pvs = Store(volume("free"), volume("mine", claim_ref=data), volume("theirs", claim_ref=other))
    cache = VolumeCache(Store(data, other), pvs, Store(storage_class()))
    assert sorted(pv.metadata.name for pv in cache.candidate_pvs(["default/data"])) == ["free", "mine"]
    assert sorted(pv.metadata.name for pv in cache.candidate_pvs([])) == ["free"]
