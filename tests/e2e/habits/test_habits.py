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
    r = await cluster.kubelab("run", "-n", ns, "dry", "--image", "nginx", "--dry-run=server")
    assert r.stdout == "pod/dry created (server dry run)\n"
    r = await cluster.kubelab("run", "-n", ns, "dry", "--image", "nginx", "--dry-run=client", "-o", "yaml")
    assert "image: nginx" in r.stdout and "run: dry" in r.stdout
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


async def test_api_resources_and_explain(cluster):
    r = await cluster.kubelab("api-resources")
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in rows
    assert ["nodes", "no", "v1", "false", "Node"] in rows
    r = await cluster.kubelab("explain", "pods.spec.containers")
    assert r.stdout.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n")
    assert "  volumeMounts\t<[]VolumeMount>\n" in r.stdout
    r = await cluster.kubelab("explain", "pod.spec.initContainers.restartPolicy")
    assert '"Always" makes it a sidecar' in r.stdout  # the .proto comment
    r = await cluster.kubelab("explain", "pod.spec.nope", check=False)
    assert r.returncode == 1 and r.stderr.strip() == 'error: field "nope" does not exist'


async def test_edit_with_an_editor_command(cluster, ns, client, tmp_path):
    # edited while the kubelet starts it: edit patches only what the editor changed, as kubectl does, so
    # the kubelet's status writes meanwhile are no conflict
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "p.yaml", pod_yaml("ed")))
    cluster.env["EDITOR"] = "true"
    r = await cluster.kubelab("edit", "-n", ns, "pod/ed")
    assert r.stdout == "Edit cancelled, no changes made.\n"
    cluster.env["EDITOR"] = "sed -i s/app:\\ web/app:\\ edited/"
    r = await cluster.kubelab("edit", "-n", ns, "pod", "ed")
    assert r.stdout == "pod/ed edited\n"
    assert (await client.get("Pod", "ed", ns)).metadata.labels["app"] == "edited"
    cluster.env["EDITOR"] = "sed -i s/name:\\ ed$/name:\\ other/"
    r = await cluster.kubelab("edit", "-n", ns, "pod", "ed", check=False)
    assert r.returncode == 1 and r.stderr.strip() == "error: At least one of apiVersion, kind and name was changed"
    log = tmp_path / "shown.txt"
    blank_image = "sed -i \"s/image: busybox/image: \\\"\\\"/\" $0"
    cluster.env["EDITOR"] = f"sh -c '{blank_image}; cat $0 >> {log}'"
    r = await cluster.kubelab("edit", "-n", ns, "pod", "ed", check=False)
    del cluster.env["EDITOR"]
    assert r.returncode == 1 and "Edit cancelled, no valid changes were saved." in r.stderr
    assert '# pods "ed" was not valid:\n# * spec.containers[0].image: Required value\n' in log.read_text()


async def _running_pod(cluster, client, ns, tmp_path, name, image="busybox", command="sleep 3600"):
    text = (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\n"
            f"spec: {{terminationGracePeriodSeconds: 1, containers: [{{name: c, image: {image}"
            + (f", command: [sh, -c, '{command}']" if command else "") + "}]}\n")
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, f"{name}.yaml", text))
    await cluster.kubelab("wait", "-n", ns, f"pod/{name}", "--for=condition=Ready", "--timeout", "90s", timeout=120)


async def test_cp_both_ways(cluster, ns, client, tmp_path):
    await _running_pod(cluster, client, ns, tmp_path, "box")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f1").write_text("one\n")
    (tmp_path / "top.txt").write_text("two\n")
    remote = f"/tmp/habits-{ns}"
    await cluster.kubelab("exec", "-n", ns, "box", "--", "mkdir", "-p", remote)
    await cluster.kubelab("cp", "-n", ns, str(tmp_path / "top.txt"), f"box:{remote}/copied.txt")
    r = await cluster.kubelab("exec", "-n", ns, "box", "--", "cat", f"{remote}/copied.txt")
    assert r.stdout == "two\n"
    await cluster.kubelab("cp", "-n", ns, str(tmp_path / "d"), f"box:{remote}/dir")
    await cluster.kubelab("cp", "-n", ns, f"box:{remote}/dir", str(tmp_path / "back"))
    assert (tmp_path / "back" / "f1").read_text() == "one\n"
    r = await cluster.kubelab("cp", "-n", ns, f"box:{remote}/nope", str(tmp_path / "x"), check=False)
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    await cluster.kubelab("exec", "-n", ns, "box", "--", "rm", "-rf", remote)


async def test_port_forward_reaches_the_pod(cluster, ns, client, tmp_path):
    import asyncio
    import subprocess
    import urllib.request

    from tests.e2e.cluster import KUBELAB
    from tests.support import free_port

    await _running_pod(cluster, client, ns, tmp_path, "ng", image="nginx", command="")
    svc = ("apiVersion: v1\nkind: Service\nmetadata: {name: ngsvc}\n"
           "spec: {selector: {app: ng}, ports: [{port: 8080, targetPort: 80}]}\n")
    await cluster.kubelab("apply", "-n", ns, "-f", manifest(tmp_path, "svc.yaml", svc))
    for target, remote in (("pod/ng", 80), ("svc/ngsvc", 8080)):
        port = free_port()
        proc = subprocess.Popen([*KUBELAB, "--state-dir", str(cluster.state_dir), "port-forward", "-n", ns, target,
                                 f"{port}:{remote}"], env=cluster.env, stdout=subprocess.PIPE, text=True)
        try:
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line == f"Forwarding from 127.0.0.1:{port} -> 80\n"  # a Service port becomes its targetPort
            body = await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read())
            assert b"nginx" in body.lower()
            assert await asyncio.to_thread(proc.stdout.readline) == f"Handling connection for {port}\n"
        finally:
            proc.terminate()
            proc.wait(10)


async def test_apply_from_a_url(cluster, ns, client, tmp_path):
    import functools
    import http.server
    import threading

    (tmp_path / "u.yaml").write_text(pod_yaml("fromurl"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        r = await cluster.kubelab("apply", "-n", ns, "-f", f"{base}/u.yaml")
        assert r.stdout == "pod/fromurl created\n"
        assert (await client.get("Pod", "fromurl", ns)).metadata.name == "fromurl"
        r = await cluster.kubelab("apply", "-n", ns, "-f", f"{base}/missing.yaml", check=False)
        assert r.returncode == 1 and "status code=404" in r.stderr
    finally:
        server.shutdown()


async def test_statefulset_example_kill_the_controller_step(cluster, ns, client):
    """examples/statefulset/README.md section 7: minReadySeconds makes the scale-up slow enough to kill
    the controller once web-2 appears; it resumes from web-3 when started again."""
    import time

    from tests.e2e.cluster import ROOT

    await cluster.kubelab("apply", "-n", ns, "-f", str(ROOT / "examples/statefulset/web.yaml"))
    await cluster.kubelab("rollout", "status", "-n", ns, "sts/web", "--timeout", "120s", timeout=150)
    r = await cluster.kubelab("patch", "-n", ns, "sts", "web", "-p", '{"spec":{"minReadySeconds":10}}')
    assert r.stdout == "statefulset.apps/web patched\n"
    await cluster.kubelab("scale", "-n", ns, "sts", "web", "--replicas=5")

    async def names():
        pods, _ = await client.list("Pod", ns, label_selector="app=nginx")
        return {p.metadata.name for p in pods}

    async def web2_exists():
        return "web-2" in await names()
    await wait_for(web2_exists, 90, "web-2 created")
    try:
        await cluster.kubelab("kill", "statefulset")
        assert "web-3" not in await names()  # minReadySeconds kept web-3 from following at once

        async def web2_available_long_enough():
            pod = await client.get("Pod", "web-2", ns)
            ready = [c for c in pod.status.conditions if c.type == "Ready" and c.status == "True"]
            return ready and ready[0].last_transition_time.ToSeconds() + 12 < time.time()
        await wait_for(web2_available_long_enough, 90, "web-2 Ready for longer than minReadySeconds")
        assert "web-3" not in await names()
    finally:
        await cluster.kubelab("start", "statefulset")

    async def web3_exists():
        return "web-3" in await names()
    await wait_for(web3_exists, 90, "web-3 created once the controller is back")
    await cluster.kubelab("delete", "-n", ns, "-f", str(ROOT / "examples/statefulset/web.yaml"), "--wait=false")
