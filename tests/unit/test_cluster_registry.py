"""The component registry: order, instance names, commands and environment."""

import pytest

from kubelab.cluster import registry
from kubelab.cluster.registry import APISERVER, REDIS, command, environment, instances


def test_components_in_start_order():
    names = [c.name for c in registry.COMPONENTS]
    assert names == ["apiserver", "scheduler", "provisioner", "replicaset", "statefulset", "lifecycle", "endpoints",
                     "dns", "kube-proxy", "ui", "kubelet"]
    assert registry.component("apiserver").upstream == REDIS
    assert all(c.upstream == APISERVER for c in registry.COMPONENTS[1:])
    assert all(c.module == f"services.{c.package or c.name}" for c in registry.COMPONENTS)
    assert registry.component("kube-proxy").module == "services.proxy"


def test_kube_proxy_does_not_elect_a_leader():
    [proxy] = [i for i in instances(1) if i.name == "kube-proxy"]
    assert "--leader-elect" not in command(proxy, listen="127.0.0.1:1", upstream="127.0.0.1:2")
    assert "--leader-elect" in command(instances(1)[1], listen="127.0.0.1:1", upstream="127.0.0.1:2")


def test_ports_are_distinct():
    ports = [c.port for c in registry.COMPONENTS]
    assert len(set(ports)) == len(ports)


def test_kubelets_are_named_after_their_nodes():
    names = [i.name for i in instances(3)]
    assert names[-3:] == ["node-1", "node-2", "node-3"]
    assert [i.node for i in instances(2) if i.component.per_node] == ["node-1", "node-2"]
    assert not [i for i in instances(0) if i.component.per_node]


def test_replicas_get_numbered_names():
    c = registry.Component("scheduler", APISERVER, 1, replicas=2)
    assert [i.name for i in instances(1, (c,))] == ["scheduler-1", "scheduler-2"]


def test_replicas_of_up_override_the_registry():
    names = [i.name for i in instances(1, replicas={"scheduler": 3})]
    assert names[:4] == ["apiserver", "scheduler-1", "scheduler-2", "scheduler-3"]
    assert "replicaset" in names


@pytest.mark.parametrize("items,parsed", [
    (["scheduler=2"], {"scheduler": 2}),
    (["scheduler=2,replicaset=3", "lifecycle=1"], {"scheduler": 2, "replicaset": 3, "lifecycle": 1}),
])
def test_parse_replicas(items, parsed):
    assert registry.parse_replicas(items) == parsed


@pytest.mark.parametrize("item,message", [
    ("scheduler", "--replicas scheduler: expected COMPONENT=N, as in scheduler=2"),
    ("scheduler=0", "--replicas scheduler=0: the number of copies must be a whole number, 1 or more"),
    ("scheduler=two", "--replicas scheduler=two: the number of copies must be a whole number, 1 or more"),
    ("kubelet=2", "--replicas kubelet=2: kubelets run one per node: use --nodes (components: scheduler,"),
    ("apiserver=2", "--replicas apiserver=2: the API server runs several processes behind its one address: use "
                     "--apiserver-workers N (components: "),
])
def test_parse_replicas_says_what_is_wrong(item, message):
    with pytest.raises(ValueError) as e:
        registry.parse_replicas([item])
    assert str(e.value).startswith(message)


def test_apiserver_command_and_environment():
    inst = instances(1)[0]
    argv = command(inst, listen="0.0.0.0:6443", upstream="redis://redis:6379/0")
    assert argv == ["python", "-m", "services.apiserver", "--listen", "0.0.0.0:6443", "--redis", "redis://redis:6379/0",
                    "--service-cluster-ip-range", "198.19.0.0/16", "--http-listen", "0.0.0.0:8080"]
    assert command(inst, listen="0.0.0.0:6443", upstream="redis://redis:6379/0", workers=1) == argv
    assert command(inst, listen="0.0.0.0:6443", upstream="redis://redis:6379/0", workers=2)[-4:] == \
        ["--workers", "2", "--http-listen", "0.0.0.0:8080"]
    env = environment(inst, upstream="redis://redis:6379/0", state_dir="/s")
    assert env["KUBELAB_REDIS_URL"] == "redis://redis:6379/0"
    assert env["KUBELAB_STATE_DIR"] == "/s" and env["KUBELAB_COMPONENT"] == "apiserver"


def test_kubelet_command():
    node2 = [i for i in instances(2) if i.name == "node-2"][0]
    argv = command(node2, listen="127.0.0.1:1", upstream="127.0.0.1:2", root_dir="/s/nodes/node-2")
    assert argv == [
        "python", "-m", "services.kubelet", "--node-name", "node-2", "--root-dir", "/s/nodes/node-2",
        "--cluster-dns", "198.19.0.10", "--cluster-domain", "cluster.local",
        "--apiserver", "127.0.0.1:2", "--listen", "127.0.0.1:1",
    ]
    compose = command(node2, listen="0.0.0.0:1", upstream="apiserver:6443", root_dir="/s", node_ip="node-2",
                      service_cidr="10.96.0.0/12")
    assert compose[7:14] == ["--node-ip", "node-2", "--host-gw", "--cluster-dns", "10.96.0.10", "--cluster-domain",
                             "cluster.local"]
    assert environment(node2, upstream="127.0.0.1:2", state_dir="/s")["KUBELAB_APISERVER"] == "127.0.0.1:2"


def test_module_overrides():
    env = {registry.OVERRIDES_ENV: " scheduler=fake_client, kubelet = other "}
    assert registry.module_overrides(env) == {"scheduler": "fake_client", "kubelet": "other"}
    assert registry.module_overrides({}) == {}
    with pytest.raises(ValueError, match="expected name=module"):
        registry.module_overrides({registry.OVERRIDES_ENV: "scheduler"})


def test_availability_follows_the_code():
    sched = registry.component("scheduler")
    assert registry.is_available(sched, {"scheduler": "json"})  # any importable module will do
    assert not registry.is_available(sched, {"scheduler": "no_such_module_here"})
    assert registry.is_available(registry.component("apiserver"))
    assert registry.module_of(sched, {"scheduler": "json"}) == "json"
    assert registry.module_of(sched, {}) == "services.scheduler"


def test_node_local_components_run_per_node_only_with_node_namespaces():
    local = [i for i in instances(2) if i.component.node_local]
    assert [i.name for i in local] == ["kube-proxy"] and local[0].node is None
    per_ns = [i for i in instances(2, node_namespaces=True) if i.component.node_local]
    assert [(i.name, i.node) for i in per_ns] == [("kube-proxy-node-1", "node-1"), ("kube-proxy-node-2", "node-2")]
    argv = command(per_ns[1], listen="0.0.0.0:10256", upstream="apiserver:6443")
    assert argv[argv.index("--node-name") + 1] == "node-2" and "--root-dir" not in argv
