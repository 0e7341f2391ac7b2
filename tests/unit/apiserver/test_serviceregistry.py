"""The registry's pure rules for Services: ipFamilies on a single-stack cluster, what an update keeps and
drops, and what a Service holds."""
import pytest

from kubelab.manifest import from_dict, to_dict
from services.apiserver.ipallocator import ServiceRange
from services.apiserver.serviceallocator import ServiceAllocator
from services.apiserver.serviceregistry import held, prepare_update

ALLOC = ServiceAllocator(None, ServiceRange.parse("198.19.0.0/16"))


def svc(**spec):
    return from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                      "spec": {"ports": [{"name": "http", "port": 80}], **spec}})


@pytest.mark.parametrize("spec, families, policy, errors", [
    ({"selector": {"app": "web"}}, ["IPv4"], "SingleStack", []),
    ({"clusterIP": "None", "clusterIPs": ["None"], "selector": {"app": "web"}}, ["IPv4"], "SingleStack", []),
    ({"clusterIP": "None", "clusterIPs": ["None"]}, ["IPv4"], "RequireDualStack", []),
    ({"ipFamilyPolicy": "PreferDualStack"}, ["IPv4"], "PreferDualStack", []),
    ({"ipFamilyPolicy": "RequireDualStack"}, ["IPv4"], "RequireDualStack",
     ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack '
      'services']),
    ({"ipFamilies": ["IPv6"]}, ["IPv6"], "SingleStack",
     ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']),
])
def test_ip_families(spec, families, policy, errors):
    s = svc(**spec)
    assert [str(e) for e in ALLOC.init_ip_families(s)] == errors
    assert (list(s.spec.ip_families), s.spec.ip_family_policy) == (families, policy)


def test_external_name_gets_no_families():
    s = svc(type="ExternalName", externalName="db.example.com")
    assert ALLOC.init_ip_families(s) == [] and not s.spec.ip_families and not s.spec.HasField("ip_family_policy")


def stored(**spec):
    s = svc(clusterIP="198.19.7.7", clusterIPs=["198.19.7.7"], ipFamilies=["IPv4"], ipFamilyPolicy="SingleStack",
            **spec)
    return s


def test_update_keeps_what_the_client_left_out():
    old = stored(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 30500}])
    new = svc(type="NodePort", ports=[{"name": "http", "port": 80}, {"name": "extra", "port": 81}])
    prepare_update(new, old)
    spec = to_dict(new)["spec"]
    assert (spec["clusterIP"], spec["clusterIPs"], spec["ipFamilies"], spec["ipFamilyPolicy"]) == (
        "198.19.7.7", ["198.19.7.7"], ["IPv4"], "SingleStack")
    assert [p.get("nodePort", 0) for p in spec["ports"]] == [30500, 0]  # by port name; the new one gets its own


def test_change_to_external_name_drops_the_allocated_fields():
    old = stored(type="NodePort", externalTrafficPolicy="Cluster", ports=[{"name": "http", "port": 80, "nodePort": 30500}])
    new = stored(type="ExternalName", externalName="db.example.com", externalTrafficPolicy="Cluster",
                 ports=[{"name": "http", "port": 80, "nodePort": 30500}])
    prepare_update(new, old)
    spec = to_dict(new)["spec"]
    assert not {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "externalTrafficPolicy"} & spec.keys()
    assert "nodePort" not in spec["ports"][0]
    assert held(old) == ["198.19.7.7", "nodeport:30500"] and held(new) == []


def test_a_changed_cluster_ip_is_left_for_validation_to_refuse():
    old = stored()
    new = stored(type="ExternalName", externalName="db.example.com")
    new.spec.cluster_ips[0] = "198.19.8.8"
    new.spec.cluster_ip = "198.19.8.8"
    prepare_update(new, old)
    assert list(new.spec.cluster_ips) == ["198.19.8.8"]  # the client changed it: not silently dropped


def test_headless_holds_nothing():
    assert held(svc(clusterIP="None", clusterIPs=["None"])) == []
