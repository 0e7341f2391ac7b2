"""The object verbs end to end: the installed `kubelab` command against a real API server on a real Redis.

No controllers run here, so objects keep the state the test gives them (statuses are written through
the API client where a test needs them); every wait is on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from kubelab.client import Client
from tests.support import ApiServerProcess, RedisProcess, wait_until

KUBELAB = [shutil.which("kubelab")] if shutil.which("kubelab") else [sys.executable, "-m", "kubelab.cli"]
ROOT = Path(__file__).resolve().parents[2]

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 1Gi}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubelab.io/local-path
volumeBindingMode: WaitForFirstConsumer
"""


def pod_manifest(name: str, node: str = "", labels: str = "{app: lab}") -> str:
    spec = f"nodeName: {node}, " if node else ""
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {labels}}}\n"
            f"spec: {{{spec}containers: [{{name: c, image: busybox, command: [sleep, '3600']}}]}}\n")


@pytest.fixture(scope="module")
def server():
    redis = RedisProcess(persistent=False).start()
    api = ApiServerProcess(redis.url).start()
    yield api
    api.stop()
    redis.stop()


class Kubelab:
    """The kubelab command pointed at the test's API server."""

    def __init__(self, server: ApiServerProcess, tmp: Path):
        self.server, self.tmp = server, tmp
        self.env = {k: v for k, v in os.environ.items() if k not in ("KUBELAB_SERVER", "KUBELAB_STATE_DIR")}
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), self.env.get("PYTHONPATH")]))

    def argv(self, *args: str) -> list[str]:
        return [*KUBELAB, "--state-dir", str(self.tmp / "state"), "--server", self.server.address, *args]

    def run(self, *args: str, stdin: str | None = None, ok: bool | None = True, timeout: float = 60):
        r = subprocess.run(self.argv(*args), input=stdin, capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        if ok is not None and (r.returncode == 0) != ok:
            raise AssertionError(f"kubelab {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def file(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)

    def popen(self, *args: str) -> "Stream":
        return Stream(subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=self.env))

    def api(self, coro_fn):
        async def main():
            client = Client(self.server.address, retry_deadline=10)
            try:
                return await coro_fn(client)
            finally:
                await client.close()
        return asyncio.run(main())


class Stream:
    """A long-running command (get -w, events -w, wait) whose output lines are read as they come."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.lines, self.cond, self.ended = proc, [], threading.Condition(), False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def wait_line(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    raise AssertionError(f"no line matching {pattern!r} in {self.lines}")
                self.cond.wait(left)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def connected_to(self, port: int) -> bool:
        """Whether the process has an established TCP connection to port (its first request is out)."""
        inodes = set()
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                f = line.split()
                if f[9] in inodes and f[3] == "01" and int(f[2].rsplit(":", 1)[1], 16) == port:
                    return True
        return False


@pytest.fixture
def kubelab(server, tmp_path):
    return Kubelab(server, tmp_path)


def test_apply_created_configured_unchanged(kubelab):
    path = kubelab.file("deploy.yaml", DEPLOY)
    assert kubelab.run("apply", "-f", path).stdout == ("deployment.apps/web created\npersistentvolumeclaim/data created\n"
                                                       "storageclass.storage.k8s.io/standard created\n")
    assert kubelab.run("apply", "-f", path).stdout.splitlines() == [
        "deployment.apps/web unchanged", "persistentvolumeclaim/data unchanged",
        "storageclass.storage.k8s.io/standard unchanged"]
    kubelab.run("scale", "deployment", "web", "--replicas", "4")  # a change apply must keep
    changed = kubelab.file("deploy2.yaml", DEPLOY.replace("image: nginx", "image: nginx:1.27"))
    assert kubelab.run("apply", "-f", changed).stdout.splitlines()[0] == "deployment.apps/web configured"
    live = json.loads(kubelab.run("get", "deploy", "web", "-o", "json").stdout)
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert live["spec"]["replicas"] == 2  # the manifest says 2, and apply wins over scale for fields it names
    assert kubelab.run("apply", "-f", "-", stdin=DEPLOY.split("---")[1]).stdout == "persistentvolumeclaim/data unchanged\n"


def test_create_and_already_exists(kubelab):
    path = kubelab.file("p.yaml", pod_manifest("created"))
    assert kubelab.run("create", "-f", path).stdout == "pod/created created\n"
    r = kubelab.run("create", "-f", path, ok=False)
    assert r.stderr == f'Error from server (AlreadyExists): error when creating "{path}": pods "created" already exists\n'


def test_get_in_every_output_form(kubelab):
    kubelab.run("apply", "-f", kubelab.file("deploy.yaml", DEPLOY))
    pods = pod_manifest("lab-1", labels="{app: getter}") + "---\n" + pod_manifest("lab-2", "node-1", "{app: getter}")
    kubelab.run("apply", "-f", kubelab.file("pods.yaml", pods))
    table = kubelab.run("get", "pods", "-l", "app=getter").stdout.splitlines()
    assert table[0] == "NAME    READY   STATUS    RESTARTS   AGE"
    assert re.fullmatch(r"lab-1   0/1     Pending   0          \d+s", table[1])
    wide = kubelab.run("get", "po", "lab-2", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES".split()
    assert wide[1].split()[5:7] == ["<none>", "node-1"]
    assert kubelab.run("get", "deploy").stdout.splitlines()[0] == "NAME   READY   UP-TO-DATE   AVAILABLE   AGE"
    assert kubelab.run("get", "sc").stdout.splitlines()[1].startswith(
        "standard (default)   kubelab.io/local-path   Delete          WaitForFirstConsumer   false   ")
    single = json.loads(kubelab.run("get", "pod/lab-1", "-o", "json").stdout)
    assert (single["apiVersion"], single["kind"], single["metadata"]["name"]) == ("v1", "Pod", "lab-1")
    assert kubelab.run("get", "pod", "lab-1", "-o", "json").stdout.startswith('{\n    "apiVersion": "v1",\n')
    listed = json.loads(kubelab.run("get", "pods", "-l", "app=getter", "-o", "json").stdout)
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["lab-1", "lab-2"]
    assert yaml.safe_load(kubelab.run("get", "pvc", "data", "-o", "yaml").stdout)["spec"]["storageClassName"] == "standard"
    assert kubelab.run("get", "deploy,pvc", "-o", "name").stdout == ("deployment.apps/web\n"
                                                                     "persistentvolumeclaim/data\n")
    assert kubelab.run("get", "pods", "--field-selector", "spec.nodeName=node-1", "-o",
                       "jsonpath={.items[*].metadata.name}").stdout == "lab-2"
    everywhere = kubelab.run("get", "pods", "-A").stdout.splitlines()
    assert everywhere[0].startswith("NAMESPACE   NAME ") and everywhere[1].startswith("default     ")
    two_kinds = kubelab.run("get", "deploy,pvc").stdout
    assert "\ndeployment.apps/web " in "\n" + two_kinds and "\n\nNAME " in two_kinds


def test_get_empty_missing_and_unknown(kubelab):
    r = kubelab.run("get", "pods", "-n", "kube-public")
    assert (r.stdout, r.stderr) == ("", "No resources found in kube-public namespace.\n")
    assert kubelab.run("get", "pv").stderr == "No resources found\n"
    r = kubelab.run("get", "pod", "nope", ok=False)
    assert (r.stdout, r.stderr) == ("", 'Error from server (NotFound): pods "nope" not found\n')
    assert kubelab.run("get", "foo", ok=False).stderr == 'error: the server doesn\'t have a resource type "foo"\n'


def test_get_watch_prints_a_row_per_change(kubelab):
    watch = kubelab.popen("get", "pods", "-l", "app=watched", "-w")
    try:
        kubelab.run("apply", "-f", kubelab.file("w.yaml", pod_manifest("watched-1", labels="{app: watched}")))
        watch.wait_line(r"^NAME\s+READY\s+STATUS")
        watch.wait_line(r"^watched-1\s+0/1\s+Pending")
        kubelab.run("delete", "pod", "watched-1")
        wait_until(lambda: sum(line.startswith("watched-1") for line in watch.lines) >= 2, 20, what="deletion row")
    finally:
        watch.stop()


def test_describe_with_events(kubelab):
    kubelab.run("apply", "-f", kubelab.file("d.yaml", pod_manifest("described")))
    kubelab.run("apply", "-f", kubelab.file("ev.yaml", """\
apiVersion: v1
kind: Event
metadata: {name: described.1}
involvedObject: {kind: Pod, name: described, namespace: default}
reason: FailedScheduling
message: 0/3 nodes are available
type: Warning
count: 2
source: {component: default-scheduler}
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:01:00Z"
"""))
    page = kubelab.run("describe", "pod", "described").stdout
    assert page.startswith("Name:         described\nNamespace:    default\n")
    assert "Containers:\n  c:\n    Image:      busybox\n    Port:       <none>\n" in page
    assert re.search(r"Events:\n  Type     Reason            Age +From               Message\n"
                     r"  ----     ------            ---- +----               -------\n"
                     r"  Warning  FailedScheduling  \S+ \(x2 over \S+\)  default-scheduler  0/3 nodes are available\n$", page)
    kubelab.run("apply", "-f", kubelab.file("deploy.yaml", DEPLOY))
    assert kubelab.run("describe", "pvc", "data").stdout.endswith("Used By:       <none>\nEvents:        <none>\n")
    assert re.search(r"\nIsDefaultClass: +Yes\n", kubelab.run("describe", "sc", "standard").stdout)
    assert "Replicas:               " in kubelab.run("describe", "deployment/web").stdout
    assert kubelab.run("describe", "pod", "describ").stdout.startswith("Name:         described\n")  # prefix match
    assert kubelab.run("describe", "pod", "zzz", ok=False).stderr == 'Error from server (NotFound): pods "zzz" not found\n'


def test_delete_waits_until_gone(kubelab):
    kubelab.run("apply", "-f", kubelab.file("p.yaml", pod_manifest("gone-1") + "---\n" + pod_manifest("gone-2")))
    assert kubelab.run("delete", "pod", "gone-1", "gone-nope", ok=False).stdout == 'pod "gone-1" deleted\n'
    assert kubelab.run("delete", "-f", kubelab.file("p2.yaml", pod_manifest("gone-2"))).stdout == 'pod "gone-2" deleted\n'
    # A pod bound to a node terminates gracefully: delete waits for the kubelet (here: a forced delete).
    kubelab.run("apply", "-f", kubelab.file("n.yaml", pod_manifest("bound", "node-1")))
    waiting = kubelab.popen("delete", "pod", "bound", "--cascade=background")
    waiting.wait_line(r'^pod "bound" deleted$')
    assert waiting.proc.poll() is None
    r = kubelab.run("delete", "pod", "bound", "--force", "--grace-period=0")
    assert r.stdout == 'pod "bound" force deleted\n' and r.stderr.startswith("Warning: Immediate deletion")
    assert waiting.proc.wait(20) == 0
    r = kubelab.run("delete", "pod", "nope", ok=False)
    assert r.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    assert kubelab.run("delete", "pod", "nope", "--ignore-not-found").stdout == ""


def test_scale(kubelab):
    kubelab.run("apply", "-f", kubelab.file("deploy.yaml", DEPLOY))
    assert kubelab.run("scale", "deploy/web", "--replicas=3").stdout == "deployment.apps/web scaled\n"
    assert kubelab.run("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    assert kubelab.run("scale", "deploy", "web", "--replicas=1", "--current-replicas=2", ok=False).stderr == (
        "error: Expected replicas to be 2, was 3\n")
    assert kubelab.run("scale", "pvc", "data", "--replicas=1", ok=False).stderr == (
        'error: no scaler has been implemented for {"" "PersistentVolumeClaim"}\n')


def test_wait_for_condition_jsonpath_and_delete(kubelab):
    kubelab.run("apply", "-f", kubelab.file("p.yaml", pod_manifest("ready-1")))
    waiter = kubelab.popen("wait", "--for=condition=Ready", "pod/ready-1", "--timeout=30s")

    async def make_ready(client):
        p = await client.get("Pod", "ready-1", "default")
        p.status.phase = "Running"
        p.status.conditions.add(type="Ready", status="True")
        await client.update_status(p)
    kubelab.api(make_ready)
    assert waiter.proc.wait(30) == 0 and waiter.wait_line(r"^pod/ready-1 condition met$")
    assert kubelab.run("wait", "pod/ready-1", "--for=jsonpath={.status.phase}=Running").stdout == (
        "pod/ready-1 condition met\n")
    r = kubelab.run("wait", "pod/ready-1", "--for=condition=Initialized", "--timeout=1s", ok=False)
    assert r.stderr == "error: timed out waiting for the condition on pods/ready-1\n"
    deleting = kubelab.popen("wait", "--for=delete", "pod/ready-1", "--timeout=30s")
    wait_until(lambda: deleting.connected_to(kubelab.server.port), 20, what="wait to reach the API server")
    kubelab.run("delete", "pod", "ready-1")
    assert deleting.proc.wait(30) == 0 and deleting.wait_line(r"^pod/ready-1 condition met$")
    assert kubelab.run("wait", "--for=delete", "pod/ready-1").stdout == ""  # already gone: nothing to say


def test_events(kubelab):
    kubelab.run("apply", "-f", kubelab.file("e.yaml", """\
apiVersion: v1
kind: Event
metadata: {name: ev-a, namespace: kube-system}
involvedObject: {kind: Pod, name: dns-0, namespace: kube-system}
reason: Started
message: Started container dns
type: Normal
source: {component: kubelet}
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
count: 1
"""))
    table = kubelab.run("events", "-n", "kube-system").stdout.splitlines()
    assert table[0] == "LAST SEEN   TYPE     REASON    OBJECT      MESSAGE"
    assert re.fullmatch(r"\S+\s+Normal   Started   Pod/dns-0   Started container dns", table[1])
    assert kubelab.run("events", "-A").stdout.split()[:3] == ["NAMESPACE", "LAST", "SEEN"]
    assert kubelab.run("events", "-n", "kube-system", "--for", "pod/other").stderr == (
        "No events found in kube-system namespace.\n")
    follow = kubelab.popen("events", "-n", "kube-system", "-w")
    try:
        follow.wait_line(r"Started container dns")
        kubelab.run("apply", "-f", kubelab.file("e2.yaml", kubelab.tmp.joinpath("e.yaml").read_text()
                                                .replace("ev-a", "ev-b").replace("Started container", "Pulled image")))
        follow.wait_line(r"Pulled image dns")
    finally:
        follow.stop()


def test_error_messages_name_the_file_and_go_on(kubelab):
    typo = kubelab.file("typo.yaml", DEPLOY.split("---")[0].replace("replicas:", "replica:").replace("name: web", "name: typo"))
    r = kubelab.run("apply", "-f", typo, ok=False)
    assert r.stderr == (f'Error from server (BadRequest): error when creating "{typo}": Deployment in version "v1" '
                        'cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"\n')
    wrong = kubelab.file("wrong.yaml", DEPLOY.split("---")[0].replace("apps/v1", "app/v1"))
    assert kubelab.run("apply", "-f", wrong, ok=False).stderr == (
        f'error: resource mapping not found for name: "web" namespace: "" from "{wrong}": no matches for kind '
        '"Deployment" in version "app/v1"\nensure CRDs are installed first\n')
    invalid = DEPLOY.split("---")[0].replace("name: web\n", "name: broken\n").replace(
        "    metadata: {labels: {app: web}}", "    metadata: {labels: {app: other}}").replace(
        "      containers:", "      restartPolicy: Never\n      containers:")
    mixed = kubelab.file("mixed.yaml", pod_manifest("first") + "---\n" + invalid + "---\n" + pod_manifest("last"))
    r = kubelab.run("apply", "-f", mixed, ok=False)
    assert r.stdout == "pod/first created\npod/last created\n"
    # the file, the object and every bad field, as kubectl words an error it aggregated from a file
    assert r.stderr == (f'Error from server (Invalid): error when creating "{mixed}": Deployment.apps "broken" is '
                        'invalid: [spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not '
                        'match template `labels`, spec.template.spec.restartPolicy: Unsupported value: "Never": '
                        'supported values: "Always"]\n')
