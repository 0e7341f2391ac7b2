"""ConfigMaps, Secrets and Services seen from inside containers, with a real kubelet: env valueFrom and envFrom,
configMap volumes with items and modes, updates reaching a running pod, a missing ConfigMap holding a pod
back until it appears, and the Service environment variables."""
from __future__ import annotations

import textwrap

from kubelab.errors import ApiError, is_not_found
from tests.integration.kubelet.kubelet_support import container_state, pod_events, run_cli, wait_for, wait_pod


def pod(name: str, container: str = "", spec: str = "", command: str = "sleep 1000") -> str:
    """A busybox pod on node-1; `container` and `spec` are YAML lines added to the container and to the spec."""
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          terminationGracePeriodSeconds: 1
          containers:
          - name: app
            image: busybox
            command: ["/bin/sh", "-c", "{command}"]
        """) + textwrap.indent(textwrap.dedent(container), "    ") + textwrap.indent(textwrap.dedent(spec), "  ")


async def exec_out(apiserver, name: str, *argv: str) -> str:
    code, out, err = await run_cli(apiserver.address, "exec", name, "--", *argv)
    assert code == 0, err
    return out


async def env_of(apiserver, name: str) -> dict[str, str]:
    out = await exec_out(apiserver, name, "env")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def running(p) -> bool:
    return p.status.phase == "Running"


async def test_env_from_config_map_and_secret_keys(node, client, apiserver):
    await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: app-config}
        data: {log_level: debug, 2nd: x}
        """, "default")
    await client.create_manifest("""
        apiVersion: v1
        kind: Secret
        metadata: {name: app-secret}
        stringData: {password: s3cr3t, "1st": y}
        """, "default")
    await client.create_manifest(pod("env-keys", """\
        env:
        - {name: LOG_LEVEL, valueFrom: {configMapKeyRef: {name: app-config, key: log_level}}}
        - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
        - {name: MAYBE, valueFrom: {configMapKeyRef: {name: app-config, key: nope, optional: true}}}
        - {name: GONE, valueFrom: {secretKeyRef: {name: no-such-secret, key: k, optional: true}}}
        envFrom:
        - {prefix: CFG_, configMapRef: {name: app-config}}
        - {configMapRef: {name: app-config}}
        - {secretRef: {name: app-secret}}
        """), "default")
    await wait_pod(client, "env-keys", running)
    env = await env_of(apiserver, "env-keys")
    assert (env["LOG_LEVEL"], env["PASSWORD"], env["CFG_log_level"], env["password"]) == \
        ("debug", "s3cr3t", "debug", "s3cr3t")
    assert env["CFG_2nd"] == "x" and env["log_level"] == "debug"
    assert "MAYBE" not in env and "GONE" not in env and "1st" not in env and "2nd" not in env
    events = await wait_for(lambda: _reasons(client, "env-keys", "InvalidEnvironmentVariableNames", 2),
                            what="two InvalidEnvironmentVariableNames events")
    assert sorted(e.message for e in events) == [
        "Keys [1st] from the EnvFrom secret default/app-secret were skipped since they are considered invalid "
        "environment variable names.",
        "Keys [2nd] from the EnvFrom configMap default/app-config were skipped since they are "
        "considered invalid environment variable names."]


async def _reasons(client, name: str, reason: str, count: int):
    found = [e for e in await pod_events(client, name) if e.reason == reason]
    return found if len(found) >= count else None


async def test_a_missing_config_map_blocks_the_container_until_it_appears(node, client, apiserver):
    await client.create_manifest(pod("waits-for-key", """\
        env: [{name: MODE, valueFrom: {configMapKeyRef: {name: late-config, key: mode}}}]
        """), "default")
    p = await wait_pod(client, "waits-for-key", lambda p: container_state(p)[1] == "CreateContainerConfigError")
    assert container_state(p)[2].state.waiting.message == 'configmap "late-config" not found'
    await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: late-config}
        data: {other: x}
        """, "default")
    p = await wait_pod(client, "waits-for-key",
                       lambda p: container_state(p)[2].state.waiting.message.startswith("couldn't"))
    assert container_state(p)[2].state.waiting.message == "couldn't find key mode in ConfigMap default/late-config"
    cm = await client.get("ConfigMap", "late-config", "default")
    cm.data["mode"] = "fast"
    await client.update(cm)
    await wait_pod(client, "waits-for-key", running, what="the container started once the key exists")
    assert (await env_of(apiserver, "waits-for-key"))["MODE"] == "fast"


async def test_config_map_volume_with_items_modes_and_updates(node, client, apiserver):
    await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: web-config}
        data: {nginx.conf: "worker_processes 1;", extra: "x"}
        """, "default")
    await client.create_manifest(pod("mounts-config", "volumeMounts: [{name: config, mountPath: /etc/web}]\n", """\
        volumes:
        - name: config
          configMap:
            name: web-config
            defaultMode: 0440
            items:
            - {key: nginx.conf, path: conf/nginx.conf}
            - {key: extra, path: extra.txt, mode: 0600}
        """), "default")
    await wait_pod(client, "mounts-config", running)
    assert await exec_out(apiserver, "mounts-config", "cat", "/etc/web/conf/nginx.conf") == "worker_processes 1;"
    modes = await exec_out(apiserver, "mounts-config", "stat", "-L", "-c", "%a %n", "/etc/web/conf/nginx.conf",
                           "/etc/web/extra.txt")
    assert modes.split("\n")[:2] == ["440 /etc/web/conf/nginx.conf", "600 /etc/web/extra.txt"]
    listing = await exec_out(apiserver, "mounts-config", "ls", "-a", "/etc/web")
    names = listing.split()
    assert "..data" in names and "conf" in names and "extra.txt" in names
    assert any(n.startswith("..20") for n in names)  # the timestamped directory ..data points at
    cm = await client.get("ConfigMap", "web-config", "default")
    cm.data["nginx.conf"] = "worker_processes 4;"
    await client.update(cm)

    async def updated():
        return await exec_out(apiserver, "mounts-config", "cat", "/etc/web/conf/nginx.conf") == "worker_processes 4;"
    await wait_for(updated, timeout=20, what="the running pod sees the new nginx.conf")


async def test_missing_config_map_volume_waits_in_container_creating(node, client, apiserver):
    await client.create_manifest(pod("needs-volume", "volumeMounts: [{name: config, mountPath: /config}]\n", """\
        volumes:
        - {name: config, configMap: {name: volume-config}}
        - {name: maybe, secret: {secretName: volume-secret, optional: true}}
        """), "default")
    events = await wait_for(lambda: _reasons(client, "needs-volume", "FailedMount", 1), what="FailedMount")
    assert events[0].message == 'MountVolume.SetUp failed for volume "config" : configmap "volume-config" not found'
    p = await client.get("Pod", "needs-volume", "default")
    assert p.status.phase == "Pending" and container_state(p)[1] == "ContainerCreating"
    await client.create_manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: volume-config}
        data: {a: "1"}
        """, "default")
    await wait_pod(client, "needs-volume", running, what="the pod started once the ConfigMap exists")
    assert await exec_out(apiserver, "needs-volume", "cat", "/config/a") == "1"


async def test_projected_volume_and_secret_default_mode(node, client, apiserver):
    await client.create_manifest("""
        apiVersion: v1
        kind: Secret
        metadata: {name: proj-secret}
        stringData: {token: abc}
        """, "default")
    await client.create_manifest(pod("projects", "volumeMounts: [{name: all, mountPath: /projected}]\n", """\
        volumes:
        - name: all
          projected:
            sources:
            - secret: {name: proj-secret}
            - downwardAPI: {items: [{path: podname, fieldRef: {fieldPath: metadata.name}}]}
        """), "default")
    await wait_pod(client, "projects", running)
    out = await exec_out(apiserver, "projects", "cat", "/projected/token", "/projected/podname")
    assert out == "abcprojects"
    mode = await exec_out(apiserver, "projects", "stat", "-L", "-c", "%a", "/projected/token")
    assert mode.strip() == "644"


async def test_service_environment_variables(node, client, apiserver):
    await client.create_manifest("""
        apiVersion: v1
        kind: Service
        metadata: {name: redis-primary}
        spec:
          selector: {app: redis}
          ports: [{name: redis, port: 6379, targetPort: 6379}, {name: metrics, port: 9121, protocol: TCP}]
        """, "default")
    svc = await client.get("Service", "redis-primary", "default")
    ip = svc.spec.cluster_ip
    kubernetes = await _kubernetes_service(client)
    # The kubelet reads Services from its cache, as Kubernetes' does: a pod created right after a Service may
    # start before the Service reached the node. Holding the container back on a ConfigMap key leaves time.
    await client.create_manifest(pod("sees-services", """\
        env:
        - {name: REDIS_PRIMARY_SERVICE_PORT, value: mine}
        - {name: GO, valueFrom: {configMapKeyRef: {name: services-created, key: go}}}
        """), "default")
    await wait_pod(client, "sees-services", lambda p: container_state(p)[1] == "CreateContainerConfigError")
    await client.create_manifest("{apiVersion: v1, kind: ConfigMap, metadata: {name: services-created}, "
                                 "data: {go: 'yes'}}", "default")
    await wait_pod(client, "sees-services", running)
    env = await env_of(apiserver, "sees-services")
    assert env["REDIS_PRIMARY_SERVICE_HOST"] == ip
    assert env["REDIS_PRIMARY_SERVICE_PORT"] == "mine"  # the pod's own variable wins
    assert env["REDIS_PRIMARY_SERVICE_PORT_METRICS"] == "9121"
    assert env["REDIS_PRIMARY_PORT"] == f"tcp://{ip}:6379"
    assert env["REDIS_PRIMARY_PORT_9121_TCP"] == f"tcp://{ip}:9121"
    assert env["REDIS_PRIMARY_PORT_6379_TCP_PROTO"] == "tcp"
    assert env["REDIS_PRIMARY_PORT_6379_TCP_PORT"] == "6379"
    assert env["REDIS_PRIMARY_PORT_6379_TCP_ADDR"] == ip
    assert env["KUBERNETES_SERVICE_HOST"] == kubernetes.spec.cluster_ip
    await client.create_manifest(pod("no-links", spec="enableServiceLinks: false\n"), "default")
    await wait_pod(client, "no-links", running)
    env = await env_of(apiserver, "no-links")
    assert "REDIS_PRIMARY_SERVICE_HOST" not in env  # only default/kubernetes without service links
    assert env["KUBERNETES_SERVICE_HOST"] == kubernetes.spec.cluster_ip


async def _kubernetes_service(client):
    """default/kubernetes (the API server makes it where it bootstraps it; here by hand when it does not)."""
    try:
        return await client.get("Service", "kubernetes", "default")
    except ApiError as e:
        if not is_not_found(e):
            raise
    await client.create_manifest("""
        apiVersion: v1
        kind: Service
        metadata: {name: kubernetes, labels: {component: apiserver, provider: kubernetes}}
        spec: {ports: [{name: https, port: 443, targetPort: 6443}]}
        """, "default")
    return await client.get("Service", "kubernetes", "default")
