"""`get` tables and `describe` pages of Services, Endpoints and EndpointSlices, as kubectl prints them."""
import pytest

from kubelab.cli.describe import Related, describe
from kubelab.cli.describe.network import format_endpoint_slices
from tests.unit.cli.helpers import NOW, ago, obj
from tests.unit.printers.test_tables import render

KUBERNETES = """
apiVersion: v1
kind: Service
metadata: {{name: kubernetes, namespace: default, creationTimestamp: '{t}',
           labels: {{provider: kubernetes, component: apiserver}}}}
spec: {{type: ClusterIP, clusterIP: 198.19.0.1, clusterIPs: [198.19.0.1], ipFamilies: [IPv4], ipFamilyPolicy: SingleStack,
        sessionAffinity: None, internalTrafficPolicy: Cluster,
        ports: [{{name: https, port: 443, protocol: TCP, targetPort: 6443}}]}}
"""


def endpoint_slice(name, addresses, ports, ready=True, t=60):
    return obj("""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}, namespace: default, creationTimestamp: '{t}', labels: {{kubernetes.io/service-name: web}}}}
addressType: IPv4
endpoints: {endpoints}
ports: {ports}
""", name=name, t=ago(t), ports=ports,
               endpoints="[" + ",".join(f"{{addresses: [{a}], conditions: {{ready: {str(ready).lower()}}}}}"
                                        for a in addresses) + "]")


def endpoints(subsets, t=60):
    return obj("apiVersion: v1\nkind: Endpoints\nmetadata: {{name: web, namespace: default, creationTimestamp: '{t}'}}\n"
               "subsets: {subsets}\n", t=ago(t), subsets=subsets)


def test_get_services_wide_and_external_name():
    ext = obj("apiVersion: v1\nkind: Service\nmetadata: {{name: db, creationTimestamp: '{t}'}}\n"
              "spec: {{type: ExternalName, externalName: db.example.com}}\n", t=ago(90))
    web = obj("apiVersion: v1\nkind: Service\nmetadata: {{name: web, creationTimestamp: '{t}'}}\n"
              "spec: {{type: ClusterIP, clusterIP: 198.19.1.7, clusterIPs: [198.19.1.7], selector: {{app: web}},"
              " ports: [{{port: 80, protocol: TCP}}, {{port: 53, protocol: UDP}}]}}\n", t=ago(300))
    assert render("Service", [obj(KUBERNETES, t=ago(5 * 86400)), ext, web], wide=True).splitlines() == [
        "NAME         TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)         AGE   SELECTOR",
        "kubernetes   ClusterIP      198.19.0.1   <none>           443/TCP         5d    <none>",
        "db           ExternalName   <none>       db.example.com   <none>          90s   <none>",
        "web          ClusterIP      198.19.1.7   <none>           80/TCP,53/UDP   5m    app=web"]


def test_get_endpoints_three_then_more():
    many = endpoints("[{addresses: [{ip: 198.18.1.2}, {ip: 198.18.1.3}, {ip: 198.18.2.2}, {ip: 198.18.2.3}],"
                     " notReadyAddresses: [{ip: 198.18.3.3}], ports: [{port: 80}]}]")
    headless = endpoints("[{addresses: [{ip: 198.18.1.2}]}]")
    assert render("Endpoints", [many]) == (
        "NAME   ENDPOINTS                                               AGE\n"
        "web    198.18.1.2:80,198.18.1.3:80,198.18.2.2:80 + 1 more...   60s\n")
    assert render("Endpoints", [headless]).splitlines()[1] == "web    198.18.1.2   60s"
    assert render("Endpoints", [endpoints("[]")]).splitlines()[1] == "web    <none>      60s"


def test_get_endpointslices():
    two = endpoint_slice("web-7vzhx", ["198.18.1.6", "198.18.2.6"], "[{port: 80, name: web}]")
    empty = endpoint_slice("web-abcde", [], "[]", t=30)
    many = endpoint_slice("web-x", [f"198.18.0.{i}" for i in range(1, 6)], "[{port: 1}, {port: 2}, {name: n}, {}]",
                          ready=False)
    assert render("EndpointSlice", [two, empty, many]).splitlines() == [
        "NAME        ADDRESSTYPE   PORTS               ENDPOINTS                                      AGE",
        "web-7vzhx   IPv4          80                  198.18.1.6,198.18.2.6                          60s",
        "web-abcde   IPv4          <unset>             <unset>                                        30s",
        "web-x       IPv4          1,2,n + 1 more...   198.18.0.1,198.18.0.2,198.18.0.3 + 2 more...   60s"]


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def test_describe_service_lists_ready_endpoints_from_slices(utc):
    page = describe(obj(KUBERNETES, t=ago(60)), "Service",
                    Related(events=[], now=NOW, endpoint_slices=[
                        endpoint_slice("kubernetes", ["198.18.0.2"], "[{name: https, port: 6443}]")]))
    assert page == (
        "Name:                     kubernetes\n"
        "Namespace:                default\n"
        "Labels:                   component=apiserver\n"
        "                          provider=kubernetes\n"
        "Annotations:              <none>\n"
        "Selector:                 <none>\n"
        "Type:                     ClusterIP\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       198.19.0.1\n"
        "IPs:                      198.19.0.1\n"
        "Port:                     https  443/TCP\n"
        "TargetPort:               6443/TCP\n"
        "Endpoints:                198.18.0.2:6443\n"
        "Session Affinity:         None\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n")


def test_format_endpoint_slices_skips_unready_and_other_ports():
    ready = endpoint_slice("a", ["198.18.0.1", "198.18.0.2"], "[{name: web, port: 80}, {name: metrics, port: 9}]")
    unready = endpoint_slice("b", ["198.18.0.3"], "[{name: web, port: 80}]", ready=False)
    assert format_endpoint_slices([ready, unready], "web") == "198.18.0.1:80,198.18.0.2:80"
    assert format_endpoint_slices([], "web") == "<none>"
    four = endpoint_slice("c", [f"198.18.0.{i}" for i in range(1, 6)], "[{name: '', port: 80}]")
    assert format_endpoint_slices([four], "") == "198.18.0.1:80,198.18.0.2:80,198.18.0.3:80 + 2 more..."


def test_describe_endpoints_and_slice(utc):
    ep = endpoints("[{addresses: [{ip: 198.18.1.2}], notReadyAddresses: [{ip: 198.18.1.3}],"
                   " ports: [{name: web, port: 80, protocol: TCP}]}]")
    assert describe(ep, "Endpoints", Related(events=None, now=NOW)) == (
        "Name:         web\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Subsets:\n"
        "  Addresses:          198.18.1.2\n"
        "  NotReadyAddresses:  198.18.1.3\n"
        "  Ports:\n"
        "    Name  Port  Protocol\n"
        "    ----  ----  --------\n"
        "    web   80    TCP\n"
        "\n")
    eps = obj("""
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-7vzhx, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [198.18.1.6]
  conditions: {ready: true}
  hostname: web-0
  nodeName: node-1
  targetRef: {kind: Pod, name: web-0, namespace: default}
ports: [{name: web, port: 80, protocol: TCP}]
""")
    assert describe(eps, "EndpointSlice", Related(events=[], now=NOW)) == (
        "Name:         web-7vzhx\n"
        "Namespace:    default\n"
        "Labels:       kubernetes.io/service-name=web\n"
        "Annotations:  <none>\n"
        "AddressType:  IPv4\n"
        "Ports:\n"
        "  Name  Port  Protocol\n"
        "  ----  ----  --------\n"
        "  web   80    TCP\n"
        "Endpoints:\n"
        "  - Addresses:  198.18.1.6\n"
        "    Conditions:\n"
        "      Ready:    true\n"
        "    Hostname:   web-0\n"
        "    TargetRef:  Pod/web-0\n"
        "    NodeName:   node-1\n"
        "    Zone:       <unset>\n"
        "Events:         <none>\n")
