"""Built-in images and the command a container runs."""
import pytest

from kubelab.api.v1 import core_pb2
from services.kubelet.images import NoCommand, builtin_of, container_command, normalize_image


@pytest.mark.parametrize("image,name", [
    ("nginx", "nginx"), ("nginx:1.14.2", "nginx"), ("docker.io/library/nginx:latest", "nginx"),
    ("nginx@sha256:abc", "nginx"), ("registry.k8s.io/nginx-slim:0.8", "registry.k8s.io/nginx-slim"),
    ("localhost:5000/app:1", "localhost:5000/app"), ("library/busybox", "busybox"),
])
def test_normalize(image, name):
    assert normalize_image(image) == name


def test_builtins():
    assert builtin_of("nginx:1.25") == "nginx"
    assert builtin_of("registry.k8s.io/nginx-slim:0.8") == "nginx"
    assert builtin_of("registry.k8s.io/pause:3.9") == "pause"
    assert builtin_of("busybox") is None


def test_commands():
    c = core_pb2.Container(name="c", image="busybox", command=["sh", "-c"], args=["echo hi"])
    assert container_command(c).argv == ["sh", "-c", "echo hi"]
    c = core_pb2.Container(name="c", image="nginx")
    cmd = container_command(c)
    assert cmd.argv == ["/.kubelab/bin/nginx"] and cmd.builtin == "nginx"
    c = core_pb2.Container(name="c", image="busybox", args=["sleep", "10"])
    assert container_command(c).argv == ["sleep", "10"]
    with pytest.raises(NoCommand, match='image "busybox" is not built into kubelab'):
        container_command(core_pb2.Container(name="c", image="busybox"))
