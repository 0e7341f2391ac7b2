"""Pod IPs from the pod CIDR: never the network, .1 or broadcast; reserved again after a restart."""
import pytest

from services.kubelet.ipam import Ipam, PoolExhausted


def test_allocation_skips_the_node_address():
    ipam = Ipam("127.1.3.0/24")
    assert ipam.node_ip == "127.1.3.1"
    assert ipam.allocate("a") == "127.1.3.2"
    assert ipam.allocate("b") == "127.1.3.3"
    assert ipam.allocate("a") == "127.1.3.2"
    ipam.release("a")
    assert ipam.allocate("c") == "127.1.3.2"


def test_reserve_known_addresses():
    ipam = Ipam("127.1.3.0/24")
    assert ipam.reserve("a", "127.1.3.9")
    assert not ipam.reserve("b", "127.1.3.9")
    assert not ipam.reserve("b", "127.1.3.1")
    assert not ipam.reserve("b", "10.0.0.1")
    assert ipam.allocate("c") == "127.1.3.2" and ipam.get("a") == "127.1.3.9"


def test_exhaustion():
    ipam = Ipam("127.1.3.0/30")
    assert ipam.allocate("a") == "127.1.3.2"
    with pytest.raises(PoolExhausted):
        ipam.allocate("b")
