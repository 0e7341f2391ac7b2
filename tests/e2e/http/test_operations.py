"""Day-two kubectl on `kubelab up`: edit with an editor script, rollout history/undo, cordon/drain
(pods/eviction), and a reflector (`kubectl wait`) riding out an API server restart."""
import stat
import threading
import time

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.26"}
"""


def _image(kubectl, ns):
    return kubectl.out("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}")


def test_edit_rollout_history_and_undo(kubectl, ns, tmp_path):
    kubectl("apply", "-n", ns, "-f", "-", stdin=DEPLOY)
    kubectl("rollout", "status", "-n", ns, "deploy/web", "--timeout=120s")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/nginx:1.26/nginx:1.27/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    kubectl.env["KUBE_EDITOR"] = str(editor)
    try:
        assert kubectl.out("edit", "deploy", "web", "-n", ns).strip() == "deployment.apps/web edited"
    finally:
        del kubectl.env["KUBE_EDITOR"]
    assert _image(kubectl, ns) == "nginx:1.27"
    assert 'deployment "web" successfully rolled out' in kubectl.out(
        "rollout", "status", "-n", ns, "deploy/web", "--timeout=120s")
    history = kubectl.out("rollout", "history", "-n", ns, "deploy/web").split()
    assert history[:4] == ["deployment.apps/web", "REVISION", "CHANGE-CAUSE", "1"] and "2" in history
    assert kubectl.out("rollout", "undo", "-n", ns, "deploy/web").strip() == "deployment.apps/web rolled back"
    assert _image(kubectl, ns) == "nginx:1.26"


def test_cordon_and_drain_evict_through_the_eviction_subresource(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", stdin=DEPLOY)
    kubectl("rollout", "status", "-n", ns, "deploy/web", "--timeout=120s")
    node = kubectl.out("get", "pods", "-n", ns, "-l", "app=web", "-o", "jsonpath={.items[0].spec.nodeName}")
    try:
        assert kubectl.out("cordon", node).strip() == f"node/{node} cordoned"
        assert kubectl.out("get", "node", node, "--no-headers").split()[1] == "Ready,SchedulingDisabled"
        out = kubectl.out("drain", node, "--ignore-daemonsets", "--force", "--timeout=120s")
        assert f"node/{node} drained" in out and "evicted" in out
        on_node = kubectl.out("get", "pods", "-A", "--field-selector", f"spec.nodeName={node}", "-o",
                              "jsonpath={.items[*].metadata.namespace}").split()
        assert ns not in on_node
        kubectl("rollout", "status", "-n", ns, "deploy/web", "--timeout=120s")  # replaced on the other node
    finally:
        kubectl("uncordon", node)


def test_kubectl_wait_rides_out_an_api_server_restart(cluster, kubectl, ns):
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: late}\nspec:\n  containers:\n"
           "  - name: c\n    image: busybox\n    command: [sleep, '3600']\n"
           "    readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 1}\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=pod)
    kubectl("wait", "-n", ns, "--for=jsonpath={.status.phase}=Running", "pod/late", "--timeout=90s")
    # -v=6: kubectl logs each request it makes, so the test kills the API server only once the waiter is
    # watching (killed before, on a loaded machine, the waiter's first GET fails: a different story)
    waiter = kubectl.popen("wait", "-v=6", "-n", ns, "--for=condition=Ready", "pod/late", "--timeout=150s")
    log: list[str] = []
    watching = threading.Event()

    def read_log():
        for line in waiter.stderr:
            log.append(line)
            if "watch=true" in line:
                watching.set()
    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        assert watching.wait(60), "kubectl wait never watched:\n" + "".join(log)
        cluster.run("kill", "apiserver")  # the waiter's watch ends; its reflector lists and watches again
        cluster.run("start", "apiserver")
        deadline = time.monotonic() + 60
        while kubectl("exec", "-n", ns, "late", "--", "touch", "/tmp/ready", check=False).returncode != 0:
            assert time.monotonic() < deadline, "the API server did not come back"
        assert waiter.wait(170) == 0, "".join(log)
        assert waiter.stdout.read().strip() == "pod/late condition met"
    finally:
        if waiter.poll() is None:
            waiter.kill()
        reader.join(5)
