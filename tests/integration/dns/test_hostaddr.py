"""kubelab.hostaddr with the real `ip` on this host's lo."""
import uuid

import pytest

from kubelab import hostaddr
from tests.support import service_ip


def test_an_address_is_added_once_and_never_taken_from_another_cluster():
    """An address of the Service range this test process holds (no cluster uses it)."""
    mine, theirs, address = "t" + uuid.uuid4().hex[:8], "t" + uuid.uuid4().hex[:8], service_ip()
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
