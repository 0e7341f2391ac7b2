"""pod-template-hash, revisions and the annotations a Deployment keeps on its sets."""
from __future__ import annotations

from services.replicaset import annotations as ann
from services.replicaset.hashing import SAFE_ALPHABET, compute_hash, equal_ignore_hash, fnv32a, safe_encode_string
from tests.unit.replicaset.builders import deployment, replica_set, template


def test_fnv32a_reference_values():
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert fnv32a(b"foobar") == 0xBF9CF968


def test_safe_encoding_maps_each_digit_through_the_alphabet():
    assert safe_encode_string("0123456789") == "".join(SAFE_ALPHABET[ord(c) % 27] for c in "0123456789")
    assert set(compute_hash(template())) <= set(SAFE_ALPHABET)


def test_hash_is_stable_and_changes_with_the_template_and_collisions():
    h = compute_hash(template("nginx:1.25"))
    assert h == compute_hash(template("nginx:1.25"))
    assert h != compute_hash(template("nginx:1.26"))
    assert compute_hash(template(), 0) != compute_hash(template()) != compute_hash(template(), 1)


def test_equal_ignore_hash():
    a, b = template(), template()
    b.metadata.labels["pod-template-hash"] = "abc"
    assert equal_ignore_hash(a, b)
    b.spec.containers[0].image = "other"
    assert not equal_ignore_hash(a, b)


def test_new_set_annotations_copy_the_deployment_but_not_kubectl_or_sizing_ones():
    d = deployment(3)
    d.metadata.annotations.update({"team": "a", ann.CHANGE_CAUSE: "kubectl set image", ann.LAST_APPLIED: "{}",
                                   ann.REVISION: "9"})
    rs = replica_set("new", 0)
    assert ann.set_new_replica_set_annotations(d, rs, 4, False, 3, 4)
    assert dict(rs.metadata.annotations) == {"team": "a", ann.CHANGE_CAUSE: "kubectl set image", ann.REVISION: "4",
                                             ann.DESIRED_REPLICAS: "3", ann.MAX_REPLICAS: "4"}
    assert not ann.set_new_replica_set_annotations(d, rs, 4, True, 3, 4)


def test_a_reused_set_keeps_its_earlier_revisions():
    d = deployment(3)
    rs = replica_set("old", 0, revision=1)
    assert ann.set_new_replica_set_annotations(d, rs, 3, True, 3, 4)
    assert rs.metadata.annotations[ann.REVISION] == "3" and rs.metadata.annotations[ann.REVISION_HISTORY] == "1"
    ann.set_new_replica_set_annotations(d, rs, 5, True, 3, 4)
    assert rs.metadata.annotations[ann.REVISION_HISTORY] == "1,3"
    assert not ann.set_new_replica_set_annotations(d, rs, 2, True, 3, 4)  # never lowered


def test_revision_history_drops_the_oldest_past_the_limit():
    rs = replica_set("old", 0, revision=40)
    rs.metadata.annotations[ann.REVISION_HISTORY] = "10,20,30"
    ann.set_new_replica_set_annotations(deployment(), rs, 50, True, 3, 4, limit=8)
    assert rs.metadata.annotations[ann.REVISION_HISTORY] == "20,30,40"


def test_revisions():
    assert ann.revision_of(replica_set("a", 0)) == 0
    bad = replica_set("b", 0)
    bad.metadata.annotations[ann.REVISION] = "x"
    assert ann.revision_of(bad) is None
    assert ann.max_revision([replica_set("a", 0, revision=3), bad, replica_set("c", 0, revision=7)]) == 7
    d = deployment()
    assert ann.set_deployment_revision(d, "2") and not ann.set_deployment_revision(d, "2")
