"""kubelab.hostaddr with the real `ip` on this host's lo."""
import uuid

import pytest

from kubelab import hostaddr


def test_an_address_is_added_once_and_never_taken_from_another_cluster():
    """An address of the benchmarking range that no cluster uses."""
    mine, theirs, address = "t" + uuid.uuid4().hex[:8], "t" + uuid.uuid4().hex[:8], "198.19.254.253"
    try:
        hostaddr.add_address(address, mine)
        hostaddr.add_address(address, mine)  # idempotent
        assert hostaddr.cluster_addresses(mine) == [address]
        with pytest.raises(hostaddr.HostAddressError, match="another cluster"):
            hostaddr.add_address(address, theirs)
        assert not hostaddr.remove_address(address, theirs)
        assert hostaddr.remove_cluster_addresses(mine) == [address]
        assert hostaddr.cluster_addresses(mine) == []
    finally:
        hostaddr.remove_cluster_addresses(mine)
