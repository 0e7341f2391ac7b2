"""Pod IPs from the pod CIDR: never the network, .1 or broadcast; round-robin as CNI host-local (a
recreated pod gets a new address); reserved again after a restart."""
import pytest

from services.kubelet.ipam import Ipam, PoolExhausted


def test_allocation_skips_the_node_address():
    ipam = Ipam("127.1.3.0/24")
    assert ipam.node_ip == "127.1.3.1"
    assert ipam.allocate("a") == "127.1.3.2"
    assert ipam.allocate("b") == "127.1.3.3"
    assert ipam.allocate("a") == "127.1.3.2"


def test_a_released_address_is_not_handed_out_again_at_once():
    ipam = Ipam("127.1.3.0/29")  # hosts .1 (the node) to .6
    assert [ipam.allocate(o) for o in "ab"] == ["127.1.3.2", "127.1.3.3"]
    ipam.release("a")
    assert ipam.allocate("a") == "127.1.3.4"  # web-0 deleted and recreated: a new address
    assert [ipam.allocate(o) for o in "cd"] == ["127.1.3.5", "127.1.3.6"]
    assert ipam.allocate("e") == "127.1.3.2"  # wrapped around, past the node address


def test_reserve_known_addresses():
    ipam = Ipam("127.1.3.0/24")
    assert ipam.reserve("a", "127.1.3.9")
    assert not ipam.reserve("b", "127.1.3.9")
    assert not ipam.reserve("b", "127.1.3.1")
    assert not ipam.reserve("b", "10.0.0.1")
    assert ipam.allocate("c") == "127.1.3.10" and ipam.get("a") == "127.1.3.9"  # after the highest reserved


def test_exhaustion():
    ipam = Ipam("127.1.3.0/30")
    assert ipam.allocate("a") == "127.1.3.2"
    with pytest.raises(PoolExhausted):
        ipam.allocate("b")
