"""Service, Endpoints and EndpointSlice validation: table tests with Kubernetes' exact messages."""
import pytest

from kubelab.meta import copy_of
from services.apiserver.validation import validate, validate_update

from .manifests import SERVICE, load, messages, stored

CLUSTER_IP = {"spec__clusterIP": "198.19.1.5", "spec__clusterIPs": ["198.19.1.5"], "spec__ipFamilies": ["IPv4"],
              "spec__ipFamilyPolicy": "SingleStack"}

ENDPOINTS = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
             "subsets": [{"addresses": [{"ip": "198.18.1.5", "hostname": "web-0", "nodeName": "node-1"}],
                          "ports": [{"name": "http", "port": 8080}]}]}

SLICE = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abcde"},
         "addressType": "IPv4",
         "endpoints": [{"addresses": ["198.18.1.5"], "hostname": "web-0", "conditions": {"ready": True}}],
         "ports": [{"name": "http", "port": 8080}]}


@pytest.mark.parametrize("patches, want", [
    ({}, []),
    (CLUSTER_IP, []),
    ({"spec__ports": [{"port": 0}]}, ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                                      "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, "
                                      "inclusive"]),  # targetPort defaulted from port
    ({"spec__ports": [{"port": 80, "name": "web"}, {"port": 81, "name": "web"}]},
     ['spec.ports[1].name: Duplicate value: "web"']),
    ({"spec__ports": [{"port": 80, "name": "Web"}]},
     ["spec.ports[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric "
      "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
      "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
    ({"spec__ports": [{"port": 80, "name": "a"}, {"port": 80, "name": "b"}]},
     ['spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,'
      '"NodePort":0}']),
    ({"spec__ports": [{"port": 80, "targetPort": 0x10000}]},
     ["spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive"]),
    ({"spec__ports": [{"port": 80, "targetPort": "a-very-long-port-name"}]},
     ['spec.ports[0].targetPort: Invalid value: "a-very-long-port-name": must be no more than 15 characters']),
    ({"spec__ports": [{"port": 80, "targetPort": "8080"}]},
     ['spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)']),
    ({"spec__ports": [{"port": 80, "targetPort": "web--x"}]},
     ['spec.ports[0].targetPort: Invalid value: "web--x": must not contain consecutive hyphens']),
    ({"spec__sessionAffinity": "ClientIP", "spec__sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 90000}}},
     ["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less "
      "than 86400"]),
    ({"spec__clusterIP": "198.19.1.5", "spec__clusterIPs": ["198.19.1.6"]},
     ['spec.clusterIPs: Invalid value: ["198.19.1.6"]: first value must match `clusterIP`']),
    ({"spec__clusterIP": "198.19.1.999"},
     ['spec.clusterIPs[0]: Invalid value: "198.19.1.999": must be a valid IP address, (e.g. 10.9.8.7 or '
      '2001:db8::ffff)']),
    ({"spec__clusterIP": "None", "spec__clusterIPs": ["None", "198.19.1.2"]},
     ["spec.clusterIPs: Invalid value: [\"None\",\"198.19.1.2\"]: 'None' must be the first and only value"]),
    ({"spec__ipFamilies": ["IPv5"]},
     ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"']),
    ({**CLUSTER_IP, "spec__ipFamilies": ["IPv6"]},
     ['spec.clusterIPs[0]: Invalid value: "198.19.1.5": expected an IPv6 value as indicated by `ipFamilies[0]`']),
    ({"spec__externalIPs": ["127.0.0.2"], "spec__clusterIP": "DELETE"},
     ['spec.externalIPs[0]: Invalid value: "127.0.0.2": may not be in the loopback range (127.0.0.0/8, ::1/128)']),
    ({"spec__clusterIP": "DELETE", "spec__ports": [{"port": 80, "nodePort": 30080}]},
     ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
    ({"spec__clusterIP": "DELETE", "spec__externalTrafficPolicy": "Local"},
     ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']),
    ({"spec__clusterIP": "DELETE", "spec__loadBalancerSourceRanges": ["10.0.0.0/8"]},
     ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"]),
    ({"spec__type": "ExternalName", "spec__clusterIP": "DELETE", "spec__externalName": "foo_bar.example.com"},
     ["spec.externalName: Invalid value: \"foo_bar.example.com\": a lowercase RFC 1123 subdomain must consist of "
      "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
      "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]),
    ({"spec__type": "ExternalName", "spec__clusterIP": "DELETE"}, ["spec.externalName: Required value"]),
    ({"spec__type": "LoadBalancer", "spec__clusterIP": "DELETE", "spec__loadBalancerSourceRanges": ["10.0.0/8"]},
     ['spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 '
      'or 2001:db8::/64)']),
    ({"spec__type": "ExternalName", "spec__clusterIP": "DELETE", "spec__externalName": "foo.example.com.",
      "spec__ipFamilyPolicy": "SingleStack"},
     ["spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services"]),
    ({"spec__type": "LoadBalancer"}, ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for "
                                      "LoadBalancer services"]),
    ({"metadata__name": "1web"},
     ["metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters "
      "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
      "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]),
])
def test_service_messages(patches, want):
    assert messages(validate(load(SERVICE, **patches))) == want


def test_service_affinity_defaults_then_validates():
    svc = load(SERVICE, spec__sessionAffinity="ClientIP")
    assert svc.spec.session_affinity_config.client_ip.timeout_seconds == 10800  # defaulted: 3 hours
    assert validate(svc) == []
    none = load(SERVICE, spec__sessionAffinityConfig={"clientIP": {"timeoutSeconds": 5}})
    assert not none.spec.HasField("session_affinity_config")  # dropped when affinity is None


def test_service_cluster_ip_may_not_change():
    old = stored(load(SERVICE, **CLUSTER_IP))
    new = copy_of(old)
    new.spec.cluster_ip = "198.19.1.6"
    new.spec.cluster_ips[0] = "198.19.1.6"
    assert messages(validate_update(new, old)) == [
        'spec.clusterIPs[0]: Invalid value: ["198.19.1.6"]: may not change once set']


@pytest.mark.parametrize("patches, want", [
    ({}, []),
    ({"subsets__0__addresses": []}, ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]),
    ({"subsets__0__addresses__0__ip": "127.0.0.1"},
     ['subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, '
      '::1/128)']),
    ({"subsets__0__addresses__0__ip": "169.254.169.254"},
     ['subsets[0].addresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range '
      '(169.254.0.0/16, fe80::/10)']),
    ({"subsets__0__addresses__0__ip": "224.0.0.251"},
     ['subsets[0].addresses[0].ip: Invalid value: "224.0.0.251": may not be in the link-local multicast range '
      '(224.0.0.0/24, ff02::/10)']),
    ({"subsets__0__addresses__0__ip": "0.0.0.0"},
     ['subsets[0].addresses[0].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)']),
    ({"subsets__0__addresses__0__ip": "10.1.2"},
     ['subsets[0].addresses[0].ip: Invalid value: "10.1.2": must be a valid IP address, (e.g. 10.9.8.7 or '
      '2001:db8::ffff)', 'subsets[0].addresses[0].ip: Invalid value: "10.1.2": must be a valid IP address']),
    ({"subsets__0__ports": [{"port": 80}, {"port": 81, "name": "b"}]}, ["subsets[0].ports[0].name: Required value"]),
    ({"subsets__0__ports": [{"port": 80, "protocol": "HTTP"}]},
     ['subsets[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']),
    ({"subsets__0__ports": [{"port": 0}]},
     ["subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]),
])
def test_endpoints_messages(patches, want):
    assert messages(validate(load(ENDPOINTS, **patches))) == want


@pytest.mark.parametrize("patches, want", [
    ({}, []),
    ({"endpoints__0__addresses": []}, ["endpoints[0].addresses: Required value: must contain at least 1 address"]),
    ({"endpoints__0__addresses": [f"198.18.0.{i}" for i in range(101)]},
     ["endpoints[0].addresses: Too many: 101: must have at most 100 items"]),
    ({"endpoints__0__addresses": ["127.0.0.5"]},
     ['endpoints[0].addresses[0]: Invalid value: "127.0.0.5": may not be in the loopback range (127.0.0.0/8, '
      '::1/128)']),
    ({"endpoints__0__addresses": ["fd00::1"]},
     ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']),
    ({"endpoints__0__hostname": "web_0"},
     ["endpoints[0].hostname: Invalid value: \"web_0\": a lowercase RFC 1123 label must consist of lower case "
      "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
      "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
    ({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}, ['ports[1].name: Duplicate value: "http"']),
    ({"ports": [{"port": 80, "protocol": "ICMP"}]},
     ['ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']),
    ({"ports": [{"port": p} for p in range(101)]}, ["ports: Too many: 101: must have at most 100 items"]),
    ({"endpoints": [{"addresses": ["198.18.0.1"]}] * 1001}, ["endpoints: Too many: 1001: must have at most 1000 items"]),
    ({"addressType": "IP"}, ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']),
    ({"addressType": "DELETE"}, ["addressType: Required value"]),
    ({"addressType": "FQDN", "endpoints__0__addresses": ["localhost"]},
     ['endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments '
      'separated by dots']),
])
def test_endpoint_slice_messages(patches, want):
    assert messages(validate(load(SLICE, **patches))) == want


def test_endpoint_slice_defaults_and_immutable_address_type():
    eps = load(SLICE, ports=[{"port": 80}])
    assert (eps.ports[0].HasField("name"), eps.ports[0].name, eps.ports[0].protocol) == (True, "", "TCP")
    old = stored(load(SLICE))
    new = copy_of(old)
    new.address_type = "FQDN"
    del new.endpoints[:]
    assert messages(validate_update(new, old)) == ['addressType: Invalid value: "FQDN": field is immutable']
