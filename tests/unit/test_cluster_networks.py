"""Address ranges: one pair per cluster on the machine, kept across ups, freed when the state dir goes."""

import ipaddress
import json
import subprocess

import pytest

from kubelab.cluster.networks import (AddressRanges, RangeError, candidate, check_ranges, claim_ranges, held_ranges,
                                      host_routes, release_ranges)

DEFAULTS = AddressRanges("198.18.0.0/16", "198.19.0.0/16")
NO_ROUTES: tuple = ()  # a host with no route into the candidates (this one may have leftovers)


def _cluster(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    (d / "cluster.json").write_text("{}")
    return d


def test_the_first_cluster_gets_the_defaults_the_next_ones_disjoint_ranges(tmp_path):
    table = tmp_path / "ranges.json"
    a, b, c = (_cluster(tmp_path, n) for n in "abc")
    assert claim_ranges(a, None, table, NO_ROUTES) == DEFAULTS
    assert claim_ranges(b, None, table, NO_ROUTES) == AddressRanges("100.64.0.0/20", "100.64.16.0/20")
    assert claim_ranges(c, None, table, NO_ROUTES) == AddressRanges("100.64.32.0/20", "100.64.48.0/20")
    assert claim_ranges(a, DEFAULTS, table) == DEFAULTS  # kept across ups


def test_a_purged_clusters_ranges_are_free_again(tmp_path):
    table = tmp_path / "ranges.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    claim_ranges(a, None, table, NO_ROUTES)
    (a / "cluster.json").unlink()
    assert claim_ranges(b, None, table, NO_ROUTES) == DEFAULTS
    release_ranges(b, table)
    assert claim_ranges(_cluster(tmp_path, "c"), None, table, NO_ROUTES) == DEFAULTS


def test_an_automatic_choice_skips_ranges_a_route_of_the_host_covers(tmp_path):
    """A bridge left by a cluster that was never taken down still holds its /24: a new cluster given that
    range would make two routes for one subnet, and the kernel would send to the old bridge."""
    table = tmp_path / "ranges.json"
    left_over = [ipaddress.ip_network("198.18.3.0/24"), ipaddress.ip_network("100.64.17.0/24")]
    assert claim_ranges(_cluster(tmp_path, "a"), None, table, left_over) == candidate(2)
    with held_ranges("test", table, [ipaddress.ip_network("192.0.2.0/24")]) as held:
        assert held == DEFAULTS  # routes outside every candidate change nothing


def test_host_routes_reads_the_kernels_table(tmp_path):
    table = tmp_path / "route"
    table.write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "kl1-br1\t00014064\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    assert host_routes(str(table)) == [ipaddress.ip_network("100.64.1.0/24")]


def test_requested_ranges_must_not_overlap_another_clusters(tmp_path):
    table = tmp_path / "ranges.json"
    a, b = _cluster(tmp_path, "a"), _cluster(tmp_path, "b")
    claim_ranges(a, None, table, NO_ROUTES)
    with pytest.raises(RangeError, match=f"overlap the ranges of the cluster in {a}"):
        claim_ranges(b, AddressRanges("198.18.4.0/22", "10.96.0.0/16"), table)
    assert claim_ranges(b, AddressRanges("10.244.0.0/16", "10.96.0.0/16"), table).pods == "10.244.0.0/16"


def test_ranges_held_by_a_process_are_skipped_until_released_or_the_process_is_gone(tmp_path):
    table = tmp_path / "ranges.json"
    with held_ranges("test", table, NO_ROUTES) as held:
        assert held == DEFAULTS
        assert claim_ranges(_cluster(tmp_path, "a"), None, table, NO_ROUTES) == candidate(1)
    assert claim_ranges(_cluster(tmp_path, "b"), None, table, NO_ROUTES) == DEFAULTS  # released at the end of the block
    gone = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True).stdout.strip()
    entries = json.loads(table.read_text())
    entries["crashed test"] = {**vars(candidate(2)), "pid": int(gone)}
    table.write_text(json.dumps(entries))
    assert claim_ranges(_cluster(tmp_path, "c"), None, table, NO_ROUTES) == candidate(2)  # its process has exited


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
