"""Pod networks: one per cluster on the machine, kept across ups, freed when the state dir goes."""

import pytest

from kubelab.cluster.networks import claim_pod_network, pod_cidr, release_pod_network


def _cluster(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    (d / "cluster.json").write_text("{}")
    return d


def test_clusters_get_distinct_networks_and_keep_them(tmp_path):
    table = tmp_path / "networks.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    assert claim_pod_network(a, 0, table) == 1
    assert claim_pod_network(b, 0, table) == 2
    assert claim_pod_network(a, 1, table) == 1
    assert claim_pod_network(b, 1, table) == 2  # 1 is a's: b keeps its own


def test_a_purged_cluster_frees_its_network(tmp_path):
    table = tmp_path / "networks.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    claim_pod_network(a, 0, table)
    (a / "cluster.json").unlink()  # gone without release: dropped at the next claim
    assert claim_pod_network(b, 0, table) == 1
    release_pod_network(b, table)
    assert claim_pod_network(_cluster(tmp_path, "c"), 0, table) == 1


def test_a_recorded_network_is_kept_if_free(tmp_path):
    assert claim_pod_network(_cluster(tmp_path, "a"), 7, tmp_path / "t.json") == 7


def test_pod_cidr():
    assert pod_cidr(2, 3) == "127.2.3.0/24"
    with pytest.raises(ValueError):
        pod_cidr(0, 1)
