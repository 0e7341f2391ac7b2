"""The API server's metric labels are kube-apiserver's resource names."""
from services.apiserver.metrics import resource_name


def test_resource_label_is_the_plural_with_its_group():
    assert resource_name("Pod") == "pods"
    assert resource_name("Deployment") == "deployments.apps"
    assert resource_name("EndpointSlice") == "endpointslices.discovery.k8s.io"
    assert resource_name("NoSuchKind") == "NoSuchKind"
