"""Address ranges: one pair per cluster on the machine, kept across ups, freed when the state dir goes."""

import pytest

from kubelab.cluster.networks import AddressRanges, RangeError, candidate, check_ranges, claim_ranges, release_ranges

DEFAULTS = AddressRanges("198.18.0.0/16", "198.19.0.0/16")


def _cluster(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    (d / "cluster.json").write_text("{}")
    return d


def test_the_first_cluster_gets_the_defaults_the_next_ones_disjoint_ranges(tmp_path):
    table = tmp_path / "ranges.json"
    a, b, c = (_cluster(tmp_path, n) for n in "abc")
    assert claim_ranges(a, None, table) == DEFAULTS
    assert claim_ranges(b, None, table) == AddressRanges("100.64.0.0/20", "100.64.16.0/20")
    assert claim_ranges(c, None, table) == AddressRanges("100.64.32.0/20", "100.64.48.0/20")
    assert claim_ranges(a, DEFAULTS, table) == DEFAULTS  # kept across ups


def test_a_purged_clusters_ranges_are_free_again(tmp_path):
    table = tmp_path / "ranges.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    claim_ranges(a, None, table)
    (a / "cluster.json").unlink()
    assert claim_ranges(b, None, table) == DEFAULTS
    release_ranges(b, table)
    assert claim_ranges(_cluster(tmp_path, "c"), None, table) == DEFAULTS


def test_requested_ranges_must_not_overlap_another_clusters(tmp_path):
    table = tmp_path / "ranges.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    claim_ranges(a, None, table)
    with pytest.raises(RangeError, match=f"overlap the ranges of the cluster in {a}"):
        claim_ranges(b, AddressRanges("198.18.4.0/22", "10.96.0.0/16"), table)
    assert claim_ranges(b, AddressRanges("10.244.0.0/16", "10.96.0.0/16"), table).pods == "10.244.0.0/16"


def test_candidates_are_disjoint():
    nets = [n for i in range(200) for n in candidate(i).networks()]
    assert not any(x.overlaps(y) for i, x in enumerate(nets) for y in nets[i + 1:])
    with pytest.raises(IndexError):
        candidate(513)


@pytest.mark.parametrize("pods,services,message", [
    ("198.18.0.0/33", "198.19.0.0/16", "--pod-cidr 198.18.0.0/33: must be an IPv4 CIDR"),
    ("198.18.0.1/16", "198.19.0.0/16", "--pod-cidr 198.18.0.1/16: must be an IPv4 CIDR"),
    ("127.0.0.0/16", "198.19.0.0/16", "must not be a loopback"),
    ("10.0.0.0/8", "198.19.0.0/16", "must be an IPv4 range from /12 to /24"),
    ("198.18.0.0/25", "198.19.0.0/16", "from /12 to /24"),
    ("198.18.0.0/16", "198.18.128.0/20", "must not overlap"),
])
def test_bad_ranges_are_refused_with_the_flag(pods, services, message):
    with pytest.raises(RangeError, match=message.replace("/", "/").replace(".", r"\.")):
        check_ranges(pods, services)
