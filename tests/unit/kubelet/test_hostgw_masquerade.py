"""The compose node's masquerade of its pods' traffic leaving the pod network (flannel's ipMasq)."""

import shutil
import subprocess

import pytest

from kubelab.network import own_address
from services.kubelet.podnetwork import masquerade_rules


def test_only_traffic_to_no_pod_range_is_masqueraded():
    script = masquerade_rules("kubelab-abc-ipmasq", "198.18.1.0/24", ["198.18.2.0/24", "198.18.3.0/24"])
    assert "ip saddr 198.18.1.0/24 ip daddr != { 198.18.1.0/24, 198.18.2.0/24, 198.18.3.0/24 } masquerade" in script
    assert "type nat hook postrouting priority srcnat" in script
    # Remade whole each time, atomically: add (so that delete never fails), delete, define.
    assert script.splitlines()[:2] == ["add table ip kubelab-abc-ipmasq", "delete table ip kubelab-abc-ipmasq"]


def test_rules_are_valid_nftables():
    nft = shutil.which("nft")
    assert nft, "nft not found: scripts/install-system-packages installs nftables"
    script = masquerade_rules("kubelab-abc-ipmasq", "198.18.1.0/24", ["198.18.2.0/24"])
    res = subprocess.run([nft, "-c", "-f", "-"], input=script, capture_output=True, text=True)
    if "Operation not permitted" in res.stderr:
        pytest.fail("nft -c needs CAP_NET_ADMIN: run the unit tests as root, as the integration tests are")
    assert res.returncode == 0, res.stderr


def test_own_address_keeps_ips_and_looks_names_up():
    assert own_address("198.19.0.10") == "198.19.0.10"
    assert own_address("localhost") == "127.0.0.1"
    with pytest.raises(ValueError, match="'no-such-host.invalid' is neither an IP address nor a name"):
        own_address("no-such-host.invalid")
