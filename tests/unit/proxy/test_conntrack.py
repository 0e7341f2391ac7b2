"""Which UDP conntrack entries are stale (pkg/proxy/conntrack/cleanup.go), from `conntrack -L` text."""
from services.proxy.conntrack import Flow, parse_flows, stale_flows
from services.proxy.endpoints import Endpoint
from services.proxy.nftables import PortState
from services.proxy.serviceports import ServicePort, ServicePortName

LISTING = """\
udp      17 29 src=198.18.1.9 dst=198.19.0.10 sport=40000 dport=53 src=198.18.1.5 dst=198.18.1.9 sport=5353 dport=40000 mark=0 use=1
udp      17 29 src=198.18.1.9 dst=198.19.0.10 sport=40001 dport=53 src=198.18.2.7 dst=198.18.1.9 sport=5353 dport=40001 [ASSURED] mark=0 use=1
udp      17 29 src=198.18.1.9 dst=198.19.0.11 sport=40002 dport=53 src=198.18.2.7 dst=198.18.1.9 sport=5353 dport=40002 mark=0 use=1
udp      17 10 src=127.0.0.1 dst=127.0.0.1 sport=1 dport=2 src=127.0.0.1 dst=127.0.0.1 sport=2 dport=1 mark=0 use=1
"""


def test_parse():
    assert parse_flows(LISTING)[0] == Flow("198.18.1.9", "40000", "198.19.0.10", "53", "198.18.1.5", "5353")
    assert len(parse_flows(LISTING + "conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.\n")) == 4


def test_flows_to_endpoints_that_left_are_stale_others_untouched():
    dns = ServicePort(ServicePortName("ns", "dns", "dns", "UDP"), "198.19.0.10", 53, "UDP")
    states = [PortState(dns, (Endpoint("198.18.1.5", 5353),), True)]
    stale = stale_flows(parse_flows(LISTING), states)
    # the flow DNATed to 198.18.2.7 (gone) is stale; another ClusterIP's and unrelated flows are not ours
    assert [f.sport for f in stale] == ["40001"]
    assert [f.sport for f in stale_flows(parse_flows(LISTING), [PortState(dns, (), False)])] == ["40000", "40001"]
