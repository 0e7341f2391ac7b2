"""Names of a cluster's pod network kernel objects: within Linux's 15 characters, unique, findable by prefix."""
from kubelab import podnet


def test_names_carry_the_cluster_and_fit_interface_limits():
    assert podnet.bridge_name("c8c0643b", "node-1") == "klc8c0643b-br1"
    assert podnet.bridge_name("c8c0643b", "node-99") == "klc8c0643b-br99"
    others = {podnet.bridge_name("c8c0643b", n) for n in ("worker", "node-100", "node-101")}
    assert len(others) == 3
    assert all(b.startswith("klc8c0643b-br") and len(b) == 15 and not b[-2:].isdigit() for b in others)
    assert podnet.veth_name("c8c0643b", "198.18.1.2") == "klc8c0643b20102"
    assert podnet.netns_name("c8c0643b", "node-2", "uid-1") == "klc8c0643b-node-2-uid-1"


def test_veth_names_differ_for_every_address_of_a_slash_12():
    ips = ["100.64.0.2", "100.64.1.2", "100.79.255.2", "100.64.16.2"]
    assert len({podnet.veth_name("c", ip) for ip in ips}) == len(ips)


def test_gateway_is_the_first_address():
    assert podnet.gateway("198.18.3.0/24") == "198.18.3.1"
