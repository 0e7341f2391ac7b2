"""The Kubernetes documentation's StatefulSet Basics tutorial, typed as written, with the real kubectl
on `<state-dir>/kubeconfig` (https://kubernetes.io/docs/tutorials/stateful-application/basic-stateful-set/)."""
import json
import time

from tests.e2e.cluster import ROOT
from tests.support import wait_until

WEB_YAML = str(ROOT / "examples" / "statefulset" / "web.yaml")


def _watch_until(proc, done, timeout=120) -> list[str]:
    """Lines of `kubectl get -w` until done(lines) or the deadline (the watch must stay open meanwhile)."""
    deadline, lines = time.monotonic() + timeout, []
    while time.monotonic() < deadline and not done(lines):
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the watch ended early: {lines} {proc.stderr.read()}")
        lines.append(line)
    assert done(lines), lines
    return lines


def _running(lines, pod):
    return any(line.split()[:3] == [pod, "1/1", "Running"] for line in lines)


def test_statefulset_basics(kubectl, ns):
    watch = kubectl.popen("get", "pods", "-n", ns, "-w", "-l", "app=nginx")
    try:
        out = kubectl.out("apply", "-n", ns, "-f", WEB_YAML)
        assert out.splitlines() == ["service/nginx created", "statefulset.apps/web created"]
        lines = _watch_until(watch, lambda ls: _running(ls, "web-1"))
        assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        # ordered bring-up: web-0 runs before web-1 appears
        first_web1 = next(i for i, line in enumerate(lines) if line.startswith("web-1"))
        assert _running(lines[:first_web1], "web-0")
        assert watch.poll() is None
    finally:
        watch.kill()
    for i in (0, 1):
        assert kubectl.out("exec", "-n", ns, f"web-{i}", "--", "sh", "-c", "hostname").strip() == f"web-{i}"
        kubectl("exec", "-n", ns, f"web-{i}", "--", "sh", "-c",
                'echo "$(hostname)" > /usr/share/nginx/html/index.html')
    # pods come back with the same name and the same storage
    assert kubectl.out("delete", "pod", "-n", ns, "web-0").strip() == 'pod "web-0" deleted'
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/web-0", "--timeout=120s")
    assert kubectl.out("exec", "-n", ns, "web-0", "--", "cat", "/usr/share/nginx/html/index.html").strip() == "web-0"
    # scaling
    assert kubectl.out("scale", "-n", ns, "sts", "web", "--replicas=3").strip() == "statefulset.apps/web scaled"
    kubectl("rollout", "status", "-n", ns, "sts/web", "--timeout=150s")
    kubectl("patch", "-n", ns, "sts", "web", "-p", '{"spec":{"replicas":2}}')
    kubectl("wait", "-n", ns, "--for=delete", "pod/web-2", "--timeout=120s")
    # rolling update by JSON patch
    kubectl("patch", "-n", ns, "statefulset", "web", "--type=json", "-p",
            '[{"op": "replace", "path": "/spec/template/spec/containers/0/image", '
            '"value":"registry.k8s.io/nginx-slim:0.24"}]')
    out = kubectl.out("rollout", "status", "-n", ns, "sts/web", "--timeout=180s")
    assert out.splitlines()[-1] == "partitioned roll out complete: 2 new pods have been updated..."  # as upstream prints it (partition defaults to 0)
    images = kubectl.out("get", "pod", "-n", ns, "-l", "app=nginx", "-o",
                         "jsonpath={range .items[*]}{.spec.containers[0].image}{'\\n'}{end}").split()
    assert images == ["registry.k8s.io/nginx-slim:0.24"] * 2
    described = kubectl.out("describe", "sts", "-n", ns, "web")
    assert "Name:" in described and "web" in described and "nginx-slim:0.24" in described
    claims = kubectl.out("get", "pvc", "-n", ns, "-l", "app=nginx", "--no-headers").splitlines()
    assert [c.split()[:2] for c in claims] == [["www-web-0", "Bound"], ["www-web-1", "Bound"], ["www-web-2", "Bound"]]
    every = kubectl.out("get", "pods", "-A", "-o", "wide")
    assert any(line.split()[:2] == [ns, "web-0"] and "node-" in line for line in every.splitlines())
    _rollout_history_and_undo(kubectl, ns)
    _orphan_delete_and_adopt(kubectl, ns)


def _images(kubectl, ns) -> list[str]:
    return kubectl.out("get", "pod", "-n", ns, "-l", "app=nginx", "-o",
                       "jsonpath={range .items[*]}{.spec.containers[0].image}{'\\n'}{end}").split()


def _rollout_history_and_undo(kubectl, ns):
    """The tutorial's `kubectl rollout history sts/web` and `rollout undo`, as kubectl prints them against a
    real cluster (it builds both from the StatefulSet's ControllerRevisions)."""
    assert kubectl.out("rollout", "history", "-n", ns, "sts/web") == (
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n")
    detail = kubectl.out("rollout", "history", "-n", ns, "sts/web", "--revision=2").splitlines()
    assert detail[0] == "statefulset.apps/web with revision #2"
    assert "    Image:\tregistry.k8s.io/nginx-slim:0.24" in detail
    r = kubectl("rollout", "history", "-n", ns, "sts/web", "--revision=9", check=False)
    assert (r.returncode, r.stderr) == (1, "error: unable to find the specified revision\n")
    assert kubectl.out("rollout", "undo", "-n", ns, "sts/web") == "statefulset.apps/web rolled back\n"
    out = kubectl.out("rollout", "status", "-n", ns, "sts/web", "--timeout=180s")
    assert out.splitlines()[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    assert _images(kubectl, ns) == ["registry.k8s.io/nginx-slim:0.21"] * 2
    # the undone revision 1 comes back as revision 3 (the ControllerRevision renumbered, as upstream)
    assert kubectl.out("rollout", "history", "-n", ns, "sts/web") == (
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n")
    r = kubectl("rollout", "undo", "-n", ns, "sts/web", "--to-revision=9", check=False)
    assert (r.returncode, r.stderr) == (1, "error: unable to find specified revision 9 in history\n")


def _pods(kubectl, ns) -> dict:
    items = json.loads(kubectl.out("get", "pods", "-n", ns, "-l", "app=nginx", "-o", "json"))["items"]
    return {p["metadata"]["name"]: p for p in items}


def _orphan_delete_and_adopt(kubectl, ns):
    """The tutorial's "Non-cascading delete": `kubectl delete statefulset web --cascade=orphan` leaves the
    pods running without an owner; a deleted one is not re-created; applying web.yaml again adopts the
    survivor and re-creates the missing one; then a foreground delete takes the pods and the StatefulSet."""
    out = kubectl.out("delete", "statefulset", "web", "-n", ns, "--cascade=orphan")
    assert out == 'statefulset.apps "web" deleted\n'
    r = kubectl("get", "sts", "web", "-n", ns, check=False)
    assert r.stderr == 'Error from server (NotFound): statefulsets.apps "web" not found\n'
    pods = _pods(kubectl, ns)
    assert sorted(pods) == ["web-0", "web-1"]
    assert all(not p["metadata"].get("ownerReferences") for p in pods.values()), pods
    assert all(p["status"]["phase"] == "Running" for p in pods.values())
    assert kubectl.out("delete", "pod", "web-0", "-n", ns) == 'pod "web-0" deleted\n'
    assert sorted(_pods(kubectl, ns)) == ["web-1"]  # nothing re-creates it
    out = kubectl.out("apply", "-n", ns, "-f", WEB_YAML)
    assert out.splitlines() == ["service/nginx unchanged", "statefulset.apps/web created"]
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/web-0", "--timeout=120s")
    uid = kubectl.out("get", "sts", "web", "-n", ns, "-o", "jsonpath={.metadata.uid}")

    def adopted():
        return [o["uid"] for o in _pods(kubectl, ns)["web-1"]["metadata"].get("ownerReferences", [])] == [uid]
    wait_until(adopted, 60, 0.5, "web-1 adopted by the new StatefulSet")
    out = kubectl.out("delete", "statefulset", "web", "-n", ns, "--cascade=foreground")
    assert out == 'statefulset.apps "web" deleted\n'  # kubectl waited until it was gone, pods first
    assert _pods(kubectl, ns) == {}


def test_logs_follow_and_exec_status(kubectl, ns):
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: talker}\nspec:\n  restartPolicy: Never\n  containers:\n"
           "  - name: c\n    image: busybox\n    command: [sh, -c, 'for i in 1 2 3; do echo line $i; sleep 1; done']\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=pod)
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/talker", "--timeout=90s")
    followed = kubectl.out("logs", "-n", ns, "-f", "talker", timeout=60)
    assert followed.splitlines()[-1] == "line 3" and "line 1" in followed
    assert kubectl.out("logs", "-n", ns, "talker", "--tail=1").strip() == "line 3"
    kubectl("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "pod/talker", "--timeout=60s")
    r = kubectl("exec", "-n", ns, "talker", "--", "true", check=False)
    assert "cannot exec into a container in a completed pod" in r.stderr
    runner = ("apiVersion: v1\nkind: Pod\nmetadata: {name: runner}\nspec:\n  containers:\n"
              "  - name: c\n    image: busybox\n    command: [sleep, '3600']\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=runner)
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/runner", "--timeout=90s")
    r = kubectl("exec", "-n", ns, "runner", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\ncommand terminated with exit code 3\n")
    assert kubectl.out("exec", "-i", "-n", ns, "runner", "--", "cat", stdin="hello\n") == "hello\n"
    kubectl("label", "-n", ns, "pod", "runner", "tier=x")
    kubectl("annotate", "-n", ns, "pod", "runner", "note=y")
    assert kubectl.out("get", "pod", "runner", "-n", ns, "-o", "jsonpath={.metadata.labels.tier}"
                       "{.metadata.annotations.note}") == "xy"


def test_python_client_exec_stream(cluster, kubectl, ns):
    from kubernetes import client, config
    from kubernetes.stream import stream
    runner = ("apiVersion: v1\nkind: Pod\nmetadata: {name: py}\nspec:\n  containers:\n"
              "  - name: c\n    image: busybox\n    command: [sleep, '3600']\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=runner)
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/py", "--timeout=90s")
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(cluster.state_dir / "kubeconfig"), client_configuration=cfg)
    v1 = client.CoreV1Api(client.ApiClient(cfg))
    out = stream(v1.connect_get_namespaced_pod_exec, "py", ns, command=["sh", "-c", "echo from-python"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert out.strip() == "from-python"
    resp = stream(v1.connect_get_namespaced_pod_exec, "py", ns, command=["sh", "-c", "exit 4"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=30)
    assert resp.returncode == 4


def test_logs_previous_and_container_and_deletes_with_cascade_and_grace(kubectl, ns):
    """`kubectl logs --previous` and `-c CONTAINER`; `kubectl delete --cascade=foreground|orphan` and
    `--grace-period=N` over HTTP, printed and carried out as against a real cluster."""
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec:\n  containers:\n"
           "  - name: main\n    image: busybox\n    command: [sh, -c, 'echo run $(cat /proc/sys/kernel/random/uuid);"
           " sleep 1; exit 1']\n"
           "  - name: side\n    image: busybox\n    command: [sh, -c, 'echo side says hi; sleep 3600']\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=pod)

    def restarted():
        return kubectl.out("get", "pod", "two", "-n", ns, "-o",
                           "jsonpath={.status.containerStatuses[?(@.name=='main')].restartCount}") not in ("", "0")
    wait_until(restarted, 90, 0.5, "main to have restarted")
    previous = kubectl.out("logs", "two", "-n", ns, "-c", "main", "--previous")
    assert previous.startswith("run ") and len(previous.splitlines()) == 1

    def current_run():
        r = kubectl("logs", "two", "-n", ns, "-c", "main", check=False)
        return r.returncode == 0 and r.stdout.startswith("run ") and r.stdout
    assert wait_until(current_run, 60, 0.5, "main's current run to log") != previous  # another run, another uuid
    assert kubectl.out("logs", "two", "-n", ns, "-c", "side") == "side says hi\n"
    r = kubectl("logs", "two", "-n", ns)  # no -c: the first container, said on stderr
    assert r.stdout.startswith("run ") and r.stderr == 'Defaulted container "main" out of: main, side\n'
    r = kubectl("logs", "two", "-n", ns, "-c", "side", "--previous", check=False)
    assert (r.returncode, r.stderr) == (
        1, 'Error from server (BadRequest): previous terminated container "side" in pod "two" not found\n')
    r = kubectl("logs", "two", "-n", ns, "-c", "nope", check=False)
    assert (r.returncode, r.stderr) == (1, "error: container nope is not valid for pod two\n")

    # --grace-period=N: the pod terminates with that grace (it ignores SIGTERM, so it takes all of it)
    stub = ("apiVersion: v1\nkind: Pod\nmetadata: {name: stub}\nspec:\n  terminationGracePeriodSeconds: 60\n"
            "  containers:\n  - name: c\n    image: busybox\n"
            "    command: [sh, -c, \"trap '' TERM; while true; do sleep 1; done\"]\n")
    kubectl("create", "-n", ns, "-f", "-", stdin=stub)
    kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/stub", "--timeout=90s")
    assert kubectl.out("delete", "pod", "stub", "-n", ns, "--grace-period=40", "--wait=false") == 'pod "stub" deleted\n'
    got = kubectl.out("get", "pod", "stub", "-n", ns, "-o",
                      "jsonpath={.metadata.deletionGracePeriodSeconds} {.spec.terminationGracePeriodSeconds}")
    assert got == "40 60"
    assert kubectl.out("get", "pod", "stub", "-n", ns, "--no-headers").split()[2] == "Terminating"
    # a shorter grace period on the Terminating pod cuts it short (kubectl waits until it is gone)
    started = time.monotonic()
    assert kubectl.out("delete", "pod", "stub", "-n", ns, "--grace-period=1", timeout=30) == 'pod "stub" deleted\n'
    assert time.monotonic() - started < 30

    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: slow}\nspec:\n  replicas: 1\n"
                  "  selector: {matchLabels: {app: slow}}\n  template:\n    metadata: {labels: {app: slow}}\n"
                  "    spec:\n      terminationGracePeriodSeconds: 3\n      containers:\n      - name: c\n"
                  "        image: busybox\n        command: [sh, -c, \"trap '' TERM; while true; do sleep 1; done\"]\n")
    # --cascade=orphan: the ReplicaSet stays, without its owner reference, and keeps its pod
    kubectl("apply", "-n", ns, "-f", "-", stdin=deployment)
    kubectl("rollout", "status", "-n", ns, "deploy/slow", "--timeout=90s")
    assert kubectl.out("delete", "deploy", "slow", "-n", ns, "--cascade=orphan") == 'deployment.apps "slow" deleted\n'
    rs = json.loads(kubectl.out("get", "rs", "-n", ns, "-l", "app=slow", "-o", "json"))["items"]
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")
    assert kubectl.out("get", "pods", "-n", ns, "-l", "app=slow", "-o",
                       "jsonpath={.items[*].metadata.ownerReferences[0].name}") == rs[0]["metadata"]["name"]
    kubectl("delete", "rs", "-n", ns, "-l", "app=slow")  # background (the default): the pods follow
    kubectl("wait", "-n", ns, "--for=delete", "pod", "-l", "app=slow", "--timeout=60s")

    # --cascade=foreground: the Deployment stays, marked, until its ReplicaSet and pods are gone
    kubectl("apply", "-n", ns, "-f", "-", stdin=deployment)
    kubectl("rollout", "status", "-n", ns, "deploy/slow", "--timeout=90s")
    out = kubectl.out("delete", "deploy", "slow", "-n", ns, "--cascade=foreground", "--wait=false")
    assert out == 'deployment.apps "slow" deleted\n'
    got = kubectl.out("get", "deploy", "slow", "-n", ns, "-o",
                      "jsonpath={.metadata.finalizers} {.metadata.deletionTimestamp}")
    assert got.startswith('["foregroundDeletion"] 20'), got
    kubectl("wait", "-n", ns, "--for=delete", "deploy/slow", "--timeout=60s")
    assert kubectl.out("get", "rs,pods", "-n", ns, "-l", "app=slow", "-o", "name") == ""
