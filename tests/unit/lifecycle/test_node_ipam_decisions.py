"""The range allocator's choice of a node's pod CIDR (--allocate-node-cidrs)."""
import ipaddress

import pytest

from services.lifecycle.node_ipam_decisions import check_cluster_cidr, next_free

CLUSTER = ipaddress.ip_network("198.18.0.0/16")


def test_the_lowest_free_block_is_handed_out():
    assert next_free(CLUSTER, 24, []) == "198.18.0.0/24"
    assert next_free(CLUSTER, 24, ["198.18.0.0/24", "198.18.2.0/24"]) == "198.18.1.0/24"


def test_blocks_outside_the_cluster_or_malformed_do_not_count():
    assert next_free(CLUSTER, 24, ["10.0.0.0/24", "nonsense", "198.18.0.0/24"]) == "198.18.1.0/24"


def test_a_larger_range_held_by_a_node_blocks_what_it_covers():
    assert next_free(CLUSTER, 24, ["198.18.0.0/23"]) == "198.18.2.0/24"


def test_none_when_every_block_is_taken():
    small = ipaddress.ip_network("198.18.0.0/23")
    assert next_free(small, 24, ["198.18.0.0/24", "198.18.1.0/24"]) is None


@pytest.mark.parametrize("cidr,mask,message", [
    ("nope", 24, '--cluster-cidr: Invalid value: "nope"'),
    ("198.18.0.1/16", 24, "has host bits set"),
    ("198.18.0.0/16", 8, "--node-cidr-mask-size: Invalid value: 8: must be between"),
    ("16.0.0.0/4", 24, "at most 16 bits longer"),
])
def test_bad_flags(cidr, mask, message):
    with pytest.raises(ValueError, match=message):
        check_cluster_cidr(cidr, mask)
