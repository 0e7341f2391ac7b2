"""The ClusterIP range: KEP-3070's static band, the scan order, what is in range."""
import random

import pytest

from services.apiserver.ipallocator import ErrNotInRange, ServiceRange, range_offset


@pytest.mark.parametrize("size, offset", [(14, 0), (16, 16), (254, 16), (1022, 63), (4094, 255), (65534, 256),
                                          (1048574, 256)])
def test_range_offset(size, offset):
    assert range_offset(size) == offset  # min(max(16, size/16), 256), 0 for tiny ranges


def test_slash_24_hands_out_17_to_254_first_then_the_low_band():
    rng = ServiceRange.parse("10.0.0.0/24")
    order = list(rng.candidates(random.Random(7)))
    assert len(order) == 254 == len(set(order))
    assert {int(ip.rsplit(".", 1)[1]) for ip in order[:238]} == set(range(17, 255))  # upper band: index 16..253
    assert {int(ip.rsplit(".", 1)[1]) for ip in order[238:]} == set(range(1, 17))
    assert "10.0.0.0" not in order and "10.0.0.255" not in order  # network and broadcast never


def test_scan_starts_at_random_and_wraps():
    rng = ServiceRange.parse("198.19.0.0/16")
    starts = {next(rng.candidates(random.Random(seed))) for seed in range(20)}
    assert len(starts) > 10
    order = rng.candidates(random.Random(3))
    first = next(order)
    second = next(order)
    assert rng.index_of(second) in (rng.index_of(first) + 1, rng.offset)  # forward, wrapping to the band start


@pytest.mark.parametrize("ip", ["198.19.0.0", "198.19.255.255", "10.0.0.1", "::1"])
def test_out_of_range(ip):
    with pytest.raises(ErrNotInRange, match=f"^provided IP {ip} is not in the valid range$"):
        ServiceRange.parse("198.19.0.0/16").index_of(ip)


def test_indices_of_the_well_known_services():
    rng = ServiceRange.parse("198.19.0.0/16")
    assert (rng.address(0), rng.address(9), rng.index_of("198.19.0.10")) == ("198.19.0.1", "198.19.0.10", 9)
    assert rng.family == "IPv4" and rng.size == 65534
