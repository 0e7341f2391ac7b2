"""Names, ordinals, identity, storage and health (k/k stateful_set_utils_test.go)."""
from __future__ import annotations

import pytest

from kubelab.podutil import is_pod_available
from services.statefulset.utils import (POD_INDEX_LABEL, POD_NAME_LABEL, end_ordinal, identity_matches,
                                        in_ordinal_range, is_running_and_ready, new_claims, new_stateful_set_pod,
                                        parent_and_ordinal, start_ordinal, storage_matches)
from tests.unit.statefulset.snapshots import NOW, new_set, pod


@pytest.mark.parametrize("name, want", [
    ("web-0", ("web", 0)), ("web-12", ("web", 12)), ("my-db-3", ("my-db", 3)), ("web", ("", -1)),
    ("web-", ("", -1)), ("web-x", ("", -1)), ("web-99999999999", ("web", -1)), ("-3", ("", 3)),
])
def test_parent_and_ordinal_parse_names_like_kubernetes(name, want):
    assert parent_and_ordinal(name) == want


@pytest.mark.parametrize("spec, replicas, names", [
    ({}, 2, ["web-0", "web-1"]),
    ({"ordinals": {}}, 2, ["web-0", "web-1"]),          # an empty ordinals struct starts at 0
    ({"ordinals": {"start": 4}}, 2, ["web-4", "web-5"]),
    ({"ordinals": {"start": 2}}, 7, [f"web-{i}" for i in range(2, 9)]),
])
def test_start_ordinal_names_the_pods(spec, replicas, names):
    """TestStatefulSetStartOrdinal: the range is [start, start+replicas)."""
    sts = new_set(replicas, spec=spec)
    assert [f"web-{o}" for o in range(start_ordinal(sts), end_ordinal(sts) + 1)] == names
    assert in_ordinal_range(names[-1], sts) and not in_ordinal_range(f"web-{end_ordinal(sts) + 1}", sts)


def test_new_pod_has_identity_labels_hostname_subdomain_and_owner():
    sts = new_set()
    p = new_stateful_set_pod(sts, 2)
    assert p.metadata.name == "web-2" and p.metadata.namespace == "default"
    assert p.metadata.labels[POD_NAME_LABEL] == "web-2" and p.metadata.labels[POD_INDEX_LABEL] == "2"
    assert p.metadata.labels["app"] == "nginx"
    assert (p.spec.hostname, p.spec.subdomain) == ("web-2", "nginx")
    ref = p.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == \
        ("StatefulSet", "web", "set-uid", True, True)
    assert identity_matches(sts, p) and storage_matches(sts, p)


def test_claim_template_volume_replaces_a_template_volume_of_the_same_name():
    sts = new_set()
    sts.spec.template.spec.volumes.add(name="www").empty_dir.SetInParent()
    sts.spec.template.spec.volumes.add(name="cache").empty_dir.SetInParent()
    p = new_stateful_set_pod(sts, 1)
    vols = {v.name: v for v in p.spec.volumes}
    assert vols["www"].persistent_volume_claim.claim_name == "www-web-1"
    assert not vols["www"].persistent_volume_claim.read_only and vols["cache"].HasField("empty_dir")


def test_claims_copy_the_template_and_selector_labels_win():
    sts = new_set()
    sts.spec.volume_claim_templates[0].metadata.labels.update({"app": "other", "tier": "data"})
    c = new_claims(sts, 3)["www"]
    assert c.metadata.name == "www-web-3" and c.metadata.namespace == "default"
    assert dict(c.metadata.labels) == {"app": "nginx", "tier": "data"}
    assert list(c.spec.access_modes) == ["ReadWriteOnce"] and c.spec.resources.requests["storage"] == "1Gi"


def test_identity_does_not_check_hostname_but_checks_the_pod_name_label():
    sts = new_set()
    p = new_stateful_set_pod(sts, 0)
    p.spec.hostname = "elsewhere"
    assert identity_matches(sts, p)
    del p.metadata.labels[POD_NAME_LABEL]
    assert not identity_matches(sts, p)


def test_storage_mismatch_when_the_claim_volume_points_elsewhere():
    sts = new_set()
    p = new_stateful_set_pod(sts, 0)
    p.spec.volumes[0].persistent_volume_claim.claim_name = "www-web-9"
    assert not storage_matches(sts, p)


def test_running_ready_available():
    sts = new_set()
    assert is_running_and_ready(pod(sts, 0))
    assert not is_running_and_ready(pod(sts, 0, "Pending", ready=True))
    assert not is_running_and_ready(pod(sts, 0, ready=False))
    fresh = pod(sts, 0, ready_since=NOW - 5)
    assert is_pod_available(fresh, 0, NOW)
    assert not is_pod_available(fresh, 10, NOW)
    assert is_pod_available(fresh, 4, NOW)
