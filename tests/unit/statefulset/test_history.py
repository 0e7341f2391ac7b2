"""ControllerRevisions: naming and hashing, which revision is the update revision (new, unchanged,
rolled back), the current one, and history truncation."""
from __future__ import annotations

from services.statefulset import history as hist
from tests.unit.statefulset.snapshots import new_set, pod, revision_of

A, B, C = "registry.k8s.io/nginx-slim:0.24", "registry.k8s.io/nginx-slim:0.27", "nginx:1.25"


def test_fnv32_and_safe_encoding_match_go():
    assert hist.fnv32(b"") == 0x811C9DC5
    assert hist.fnv32(b"a") == 0x050C5D7E  # Go: fnv.New32().Write("a")
    assert hist.safe_encode("0123456789") == "456789bcdf"


def test_revision_name_is_set_dash_hash_and_stable():
    sts = new_set(image=A)
    rev = hist.new_revision(sts, 1, 0)
    h = rev.metadata.labels[hist.HASH_LABEL]
    assert rev.metadata.name == f"web-{h}" and rev.revision == 1
    assert set(h) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert hist.new_revision(new_set(image=A), 7, 0).metadata.name == rev.metadata.name
    assert hist.new_revision(new_set(image=B), 1, 0).metadata.name != rev.metadata.name
    assert hist.new_revision(sts, 1, 1).metadata.name != rev.metadata.name  # a collision renames


def test_revision_holds_only_the_template_as_a_replace_patch():
    sts = new_set(replicas=3, image=A)
    rev = hist.new_revision(sts, 1, 0)
    data = hist.canonical_json(rev.data).decode()
    assert '"$patch":"replace"' in data and '"replicas"' not in data and "nginx-slim:0.24" in data
    assert dict(rev.metadata.labels)["app"] == "nginx"
    assert rev.metadata.owner_references[0].kind == "StatefulSet"
    assert hist.apply_revision(new_set(replicas=5, image=B), rev).spec.template == sts.spec.template
    assert hist.equal_revision(rev, hist.new_revision(new_set(replicas=9, image=A), 4, 2))


def test_a_new_set_creates_revision_1():
    choice = hist.choose_update_revision(new_set(image=A), [], 0)
    assert choice.create and choice.update.revision == 1


def test_an_unchanged_template_reuses_the_newest_revision():
    r1 = revision_of(new_set(image=A), 1)
    choice = hist.choose_update_revision(new_set(replicas=5, image=A), [r1], 0)
    assert not choice.create and not choice.bump_to and choice.update is r1


def test_a_changed_template_creates_the_next_revision():
    revs = [revision_of(new_set(image=A), 1), revision_of(new_set(image=B), 2)]
    choice = hist.choose_update_revision(new_set(image=C), revs, 0)
    assert choice.create and choice.update.revision == 3


def test_rollback_brings_an_earlier_revision_forward_instead_of_creating_one():
    """Conformance: reverting the image -> updateRevision is the prior revision's name."""
    r1, r2 = revision_of(new_set(image=A), 1), revision_of(new_set(image=B), 2)
    choice = hist.choose_update_revision(new_set(image=A), [r1, r2], 0)
    assert not choice.create and choice.update is r1 and choice.bump_to == 3


def test_current_revision_from_status_else_the_update_revision():
    sts = new_set(image=B)
    r1, r2 = revision_of(new_set(image=A), 1), revision_of(sts, 2)
    assert hist.current_revision(sts, [r1, r2], r2) is r2
    sts.status.current_revision = r1.metadata.name
    assert hist.current_revision(sts, [r1, r2], r2) is r1
    sts.status.current_revision = "web-gone"
    assert hist.current_revision(sts, [r1, r2], r2) is r2


def test_truncate_keeps_live_revisions_and_the_history_limit():
    images = [f"nginx:1.{i}" for i in range(6)]
    revs = [revision_of(new_set(image=img), i + 1) for i, img in enumerate(images)]
    sts = new_set(spec={"revisionHistoryLimit": 2})
    in_use = pod(new_set(image=images[1]), 0, rev=revs[1])
    live = (revs[4].metadata.name, revs[5].metadata.name)
    old = hist.revisions_to_truncate(sts, [in_use.metadata.labels["controller-revision-hash"]], revs, live)
    assert [r.revision for r in old] == [1]  # 3 and 4 (numbers) remain as history, 2 is used by a pod
    sts = new_set(spec={"revisionHistoryLimit": 0})
    assert [r.revision for r in hist.revisions_to_truncate(sts, [], revs, live)] == [1, 2, 3, 4]
