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


class Objects:
    """EnvLookups over plain lists (the kubelet's are its informers' caches)."""

    def __init__(self, *objs):
        self.objs = objs

    def _find(self, cls, ns, name):
        return next((o for o in self.objs
                     if isinstance(o, cls) and (o.metadata.namespace, o.metadata.name) == (ns, name)), None)

    def config_map(self, ns, name):
        return self._find(core_pb2.ConfigMap, ns, name)

    def secret(self, ns, name):
        return self._find(core_pb2.Secret, ns, name)

    def services(self):
        return [o for o in self.objs if isinstance(o, core_pb2.Service)]


def cm(name, **data):
    return core_pb2.ConfigMap(metadata={"name": name, "namespace": "prod"}, data=data)


def secret(name, **data):
    return core_pb2.Secret(metadata={"name": name, "namespace": "prod"}, data={k: v.encode() for k, v in data.items()})


def key_ref(kind, name, key, optional=None):
    ref = core_pb2.KeySelector(name=name, key=key)
    if optional is not None:
        ref.optional = optional
    return core_pb2.EnvVarSource(**{kind: ref})


def env_of(pod, container, *objs, warnings=None):
    return container_env(pod, container, pod_ip="", host_ip="", hostname="h", lookups=Objects(*objs),
                         warnings=warnings)


def test_missing_config_maps_secrets_and_keys_use_the_kubelets_words():
    p, c = pod_with(core_pb2.EnvVar(name="X", value_from=key_ref("config_map_key_ref", "cfg", "k")))
    with pytest.raises(EnvError, match='^configmap "cfg" not found$'):
        env_of(p, c)
    with pytest.raises(EnvError, match="^couldn't find key k in ConfigMap prod/cfg$"):
        env_of(p, c, cm("cfg", other="1"))
    p, c = pod_with(core_pb2.EnvVar(name="X", value_from=key_ref("secret_key_ref", "s", "k")))
    with pytest.raises(EnvError, match='^secret "s" not found$'):
        env_of(p, c)
    with pytest.raises(EnvError, match="^couldn't find key k in Secret prod/s$"):
        env_of(p, c, secret("s"))


def test_optional_refs_leave_the_variable_out():
    p, c = pod_with(core_pb2.EnvVar(name="X", value_from=key_ref("secret_key_ref", "s", "k", True)),
                    core_pb2.EnvVar(name="Y", value_from=key_ref("config_map_key_ref", "cfg", "k", True)))
    env = env_of(p, c, cm("cfg"))
    assert "X" not in env and "Y" not in env


def test_env_from_with_prefix_then_env_wins_and_invalid_names_are_reported():
    p, c = pod_with(core_pb2.EnvVar(name="DB_HOST", value="override"),
                    core_pb2.EnvVar(name="PASS", value_from=key_ref("secret_key_ref", "s", "password")))
    c.env_from.add(prefix="DB_", config_map_ref=core_pb2.LocalObjectReference(name="cfg"))
    c.env_from.add(secret_ref=core_pb2.LocalObjectReference(name="s"))
    warnings = []
    env = env_of(p, c, cm("cfg", HOST="db", PORT="5432"), secret("s", password="pw", **{"1x": "bad", "2y": "bad"}),
                 warnings=warnings)
    assert (env["DB_HOST"], env["DB_PORT"], env["password"], env["PASS"]) == ("override", "5432", "pw", "pw")
    assert warnings == ["Keys [1x, 2y] from the EnvFrom secret prod/s were skipped since they are considered "
                        "invalid environment variable names."]


def test_service_variables_are_added_and_never_replace_the_pods_own():
    svc = core_pb2.Service(metadata={"name": "db", "namespace": "prod"},
                           spec={"cluster_ip": "198.19.0.20", "ports": [{"port": 5432, "protocol": "TCP"}]})
    p, c = pod_with(core_pb2.EnvVar(name="DB_SERVICE_PORT", value="mine"),
                    core_pb2.EnvVar(name="URL", value="$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)"))
    env = env_of(p, c, svc)
    assert env["DB_SERVICE_HOST"] == "198.19.0.20" and env["DB_SERVICE_PORT"] == "mine"
    assert env["URL"] == "198.19.0.20:mine"
