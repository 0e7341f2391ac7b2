"""Container environment: order, $(VAR) expansion, downward API, missing configMaps."""
import pytest

from kubelab.api.v1 import core_pb2
from services.kubelet.envvars import DEFAULT_PATH, EnvError, container_env, expand


@pytest.mark.parametrize("text,out", [
    ("$(A)", "1"), ("x$(A)y$(B)", "x1y2"), ("$$(A)", "$(A)"), ("$(MISSING)", "$(MISSING)"),
    ("$(A", "$(A"), ("a$", "a$"), ("$$$(A)", "$1"), ("$x", "$x"),
])
def test_expand(text, out):
    assert expand(text, {"A": "1", "B": "2"}) == out


def pod_with(*env, resources=None):
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = "web-0", "prod", "u1"
    p.metadata.labels["app"] = "web"
    p.spec.node_name = "node-1"
    c = p.spec.containers.add(name="c", env=list(env))
    if resources:
        c.resources.CopyFrom(resources)
    return p, c


def field(path):
    return core_pb2.EnvVarSource(field_ref=core_pb2.ObjectFieldSelector(field_path=path))


def test_defaults_order_and_expansion():
    p, c = pod_with(core_pb2.EnvVar(name="A", value="x"), core_pb2.EnvVar(name="B", value="$(A)-$(HOSTNAME)"),
                    core_pb2.EnvVar(name="A", value="y"))
    env = container_env(p, c, pod_ip="127.1.1.2", host_ip="127.1.1.1", hostname="web-0", extra_path="/py/bin")
    assert env["PATH"] == DEFAULT_PATH + ":/py/bin" and env["HOME"] == "/root"
    assert env["HOSTNAME"] == "web-0" and env["B"] == "x-web-0" and env["A"] == "y"


def test_downward_api_and_resources():
    limits = core_pb2.ResourceRequirements(limits={"memory": "64Mi"})
    p, c = pod_with(core_pb2.EnvVar(name="POD", value_from=field("metadata.name")),
                    core_pb2.EnvVar(name="IP", value_from=field("status.podIP")),
                    core_pb2.EnvVar(name="NODE", value_from=field("spec.nodeName")),
                    core_pb2.EnvVar(name="APP", value_from=field("metadata.labels['app']")),
                    core_pb2.EnvVar(name="MEM", value_from=core_pb2.EnvVarSource(
                        resource_field_ref=core_pb2.ResourceFieldSelector(resource="limits.memory", divisor="1Mi"))),
                    core_pb2.EnvVar(name="CPU", value_from=core_pb2.EnvVarSource(
                        resource_field_ref=core_pb2.ResourceFieldSelector(resource="limits.cpu"))),
                    resources=limits)
    env = container_env(p, c, pod_ip="127.1.1.2", host_ip="127.1.1.1", hostname="web-0", allocatable={"cpu": "4"})
    assert (env["POD"], env["IP"], env["NODE"], env["APP"]) == ("web-0", "127.1.1.2", "node-1", "web")
    assert env["MEM"] == "64" and env["CPU"] == "4"


def test_config_maps_and_secrets_do_not_exist_here():
    ref = core_pb2.KeySelector(name="cfg", key="k")
    p, c = pod_with(core_pb2.EnvVar(name="X", value_from=core_pb2.EnvVarSource(config_map_key_ref=ref)))
    with pytest.raises(EnvError, match='configmap "cfg" not found'):
        container_env(p, c, pod_ip="", host_ip="", hostname="h")
    ref.optional = True
    p, c = pod_with(core_pb2.EnvVar(name="X", value_from=core_pb2.EnvVarSource(secret_key_ref=ref)))
    assert "X" not in container_env(p, c, pod_ip="", host_ip="", hostname="h")
