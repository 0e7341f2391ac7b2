"""autoscaling/v1 Scale as Kubernetes writes it: spec.replicas and status.selector omitempty, status.replicas not."""
from kubelab import manifest
from services.apiserver.http.scale import scale_of


def _deploy(replicas: int):
    return manifest.from_dict({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}}})


def test_scaled_to_zero_writes_no_spec_replicas_but_status_replicas():
    scale = scale_of(_deploy(0))
    assert scale["spec"] == {} and scale["status"] == {"replicas": 0, "selector": "app=web"}


def test_replicas_and_selector():
    scale = scale_of(_deploy(3))
    assert scale["spec"] == {"replicas": 3} and scale["status"]["selector"] == "app=web"
