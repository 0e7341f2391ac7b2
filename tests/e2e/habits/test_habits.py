"""The kubectl habits on a real cluster: label, annotate, taint, get -L/--sort-by/custom-columns,
--dry-run, patch, logs by controller and selector; checked as a user would, through `kubelab`."""
from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import wait_for

pytestmark = pytest.mark.timeout(300)


def pod_yaml(name: str, labels: str = "{app: web}", command: str = "sleep 3600") -> str:
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {labels}}}\n"
            f"spec: {{terminationGracePeriodSeconds: 1, containers: [{{name: c, image: busybox, "
            f"command: [sh, -c, '{command}']}}]}}\n")


def manifest(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


async def test_label_and_annotate(cluster, ns, tmp_path):
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "p.yaml", pod_yaml("web-0")))
    r = await cluster.kubelab("label", "-n", ns, "pod", "web-0", "tier=front")
    assert r.stdout == "pod/web-0 labeled\n"
    r = await cluster.kubelab("label", "-n", ns, "pod/web-0", "app=api", check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == "error: 'app' already has a value (web), and --overwrite is false"
    await cluster.kubelab("label", "-n", ns, "pods", "--all", "app=api", "--overwrite")
    r = await cluster.kubelab("get", "-n", ns, "pod", "web-0", "--show-labels", "-L", "tier")
    header, row = r.stdout.splitlines()
    assert header.split()[-2:] == ["TIER", "LABELS"]
    assert row.split()[-2:] == ["front", "app=api,tier=front"]
    r = await cluster.kubelab("label", "-n", ns, "pod", "-l", "app=api", "tier-")
    assert r.stdout == "pod/web-0 unlabeled\n"
    r = await cluster.kubelab("annotate", "-n", ns, "pod", "web-0", "owner=lab")
    assert r.stdout == "pod/web-0 annotated\n"
    r = await cluster.kubelab("get", "-n", ns, "pod", "web-0", "-o", "jsonpath={.metadata.annotations.owner}")
    assert r.stdout == "lab"
    r = await cluster.kubelab("label", "-n", ns, "pod", "web-0", check=False)
    assert r.stderr.strip() == "error: at least one label update is required"


async def test_taints_keep_pods_off_and_evict(cluster, ns, client, tmp_path):
    try:
        r = await cluster.kubelab("taint", "nodes", "node-1", "node-2", "dedicated=lab:NoSchedule")
        assert r.stdout == "node/node-1 tainted\nnode/node-2 tainted\n"
        r = await cluster.kubelab("taint", "node", "node-1", "dedicated=lab:NoSchedule", check=False)
        assert r.stderr.strip() == ("error: node node-1 already has dedicated taint(s) with same effect(s) and "
                                    "--overwrite is false")
        await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "p.yaml", pod_yaml("stuck")))

        async def scheduling_failed():
            r = await cluster.kubelab("describe", "-n", ns, "pod", "stuck")
            return "had untolerated taint" in r.stdout and r.stdout
        text = await wait_for(scheduling_failed, 60, "FailedScheduling naming the taint")
        assert "0/2 nodes are available" in text
        assert (await cluster.kubelab("get", "-n", ns, "pod", "stuck")).stdout.split()[7] == "Pending"

        r = await cluster.kubelab("taint", "node", "node-2", "dedicated:NoSchedule-")
        assert r.stdout == "node/node-2 untainted\n"

        async def running_on_node2():
            pod = await client.get("Pod", "stuck", ns)
            return pod.spec.node_name == "node-2" and pod.status.phase == "Running"
        await wait_for(running_on_node2, 90, "the pod scheduled on the untainted node")

        r = await cluster.kubelab("taint", "node", "node-2", "evict=now:NoExecute")
        assert r.stdout == "node/node-2 tainted\n"

        async def evicted():
            pods, _ = await client.list("Pod", ns)
            return not any(p.metadata.name == "stuck" for p in pods)
        await wait_for(evicted, 90, "the lifecycle controller evicting the pod from the NoExecute node")
    finally:
        for node, taint in (("node-1", "dedicated-"), ("node-2", "dedicated-"), ("node-2", "evict-")):
            await cluster.kubelab("taint", "node", node, taint, check=False)
    node = await client.get("Node", "node-2")
    assert not node.spec.taints


async def test_get_custom_columns_and_sort_by(cluster, ns, tmp_path):
    for name, rank in (("b", "2"), ("a", "3"), ("c", "1")):
        await cluster.kubelab("apply", "-n", ns, "-f",
                              manifest(tmp_path, f"{name}.yaml", pod_yaml(name, f"{{rank: '{rank}'}}")))
    r = await cluster.kubelab("get", "-n", ns, "pods", "--sort-by=.metadata.labels.rank",
                              "-o", "custom-columns=NAME:.metadata.name,RANK:.metadata.labels.rank,GONE:.spec.nope")
    assert [line.split() for line in r.stdout.splitlines()] == [
        ["NAME", "RANK", "GONE"], ["c", "1", "<none>"], ["b", "2", "<none>"], ["a", "3", "<none>"]]
    r = await cluster.kubelab("get", "-n", ns, "pods", "--sort-by={.metadata.name}", "-o", "name")
    assert r.stdout == "pod/a\npod/b\npod/c\n"
    r = await cluster.kubelab("get", "-n", ns, "pods", "-o", "custom-columns=NAME", check=False)
    assert "expected <header>:<json-path-expr>" in r.stderr


async def test_dry_run_sends_nothing(cluster, ns, client, tmp_path):
    path = manifest(tmp_path, "p.yaml", pod_yaml("dry"))
    r = await cluster.kubelab("apply", "-n", ns, "-f", path, "--dry-run=server", "-o", "yaml")
    assert "name: dry" in r.stdout and f"namespace: {ns}" in r.stdout
    r = await cluster.kubelab("create", "-n", ns, "-f", path, "--dry-run=client")
    assert r.stdout == "pod/dry created (dry run)\n"
    r = await cluster.kubelab("get", "-n", ns, "pod", "dry", check=False)
    assert r.returncode == 1 and 'pods "dry" not found' in r.stderr


async def test_patch_three_types(cluster, ns, client, tmp_path):
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "p.yaml", pod_yaml("pt")))
    r = await cluster.kubelab("patch", "-n", ns, "pod", "pt", "-p",
                              '{"spec":{"containers":[{"name":"c","image":"nginx"}]}}')
    assert r.stdout == "pod/pt patched\n"
    pod = await client.get("Pod", "pt", ns)
    assert [c.image for c in pod.spec.containers] == ["nginx"] and list(pod.spec.containers[0].command)[:1] == ["sh"]
    await cluster.kubelab("patch", "-n", ns, "pod/pt", "--type", "merge", "-p", "metadata: {labels: {x: y}}")
    await cluster.kubelab("patch", "-n", ns, "pod/pt", "--type", "json", "-p",
                          json.dumps([{"op": "replace", "path": "/spec/containers/0/image", "value": "busybox"}]))
    pod = await client.get("Pod", "pt", ns)
    assert pod.metadata.labels["x"] == "y" and pod.spec.containers[0].image == "busybox"
    r = await cluster.kubelab("patch", "-n", ns, "pod/pt", "--type", "merge", "-p", "metadata: {labels: {x: y}}")
    assert r.stdout == "pod/pt patched (no change)\n"


async def test_logs_by_controller_selector_and_containers(cluster, ns, tmp_path):
    deploy = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: hello, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: hello}}}}
  template:
    metadata: {{labels: {{app: hello}}}}
    spec:
      initContainers: [{{name: init, image: busybox, command: [sh, -c, 'echo init-done']}}]
      containers:
      - {{name: a, image: busybox, command: [sh, -c, 'echo hello-a; sleep 3600']}}
      - {{name: b, image: busybox, command: [sh, -c, 'echo hello-b; sleep 3600']}}
"""
    await cluster.kubelab("apply", "-f", manifest(tmp_path, "d.yaml", deploy))
    await cluster.kubelab("wait", "-n", ns, "deploy/hello", "--for=condition=Available", "--timeout", "90s",
                          timeout=120)

    async def logs_ready():
        r = await cluster.kubelab("logs", "-n", ns, "-l", "app=hello", "--all-containers", "--prefix", check=False)
        return r.stdout.count("hello-b") == 2 and r
    r = await wait_for(logs_ready, 60, "both pods' logs")
    lines = sorted(r.stdout.splitlines())
    assert len(lines) == 6 and all(line.startswith("[pod/hello-") for line in lines)
    assert sum(line.endswith("] init-done") for line in lines) == 2
    r = await cluster.kubelab("logs", "-n", ns, "deploy/hello", "-c", "b")
    assert r.stdout == "hello-b\n"
    assert r.stderr.startswith("Found 2 pods, using pod/hello-")


async def test_unknown_flag_prints_the_verbs_usage(cluster):
    r = await cluster.kubelab("get", "pods", "--bogus", check=False)
    assert r.returncode == 2
    assert r.stderr.startswith("usage: kubelab get ") and "unrecognized arguments: --bogus" in r.stderr
