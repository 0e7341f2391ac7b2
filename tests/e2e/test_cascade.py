"""`kubelab delete --cascade=orphan|foreground` end to end: the installed command against a real API server,
the Deployment/ReplicaSet controllers and the garbage collector (services.lifecycle), each a real process.

No scheduler and no kubelet run: pods stay Pending. The foreground test names a node in the pod template,
so its pods' deletion waits for a kubelet that never comes, until the test force-deletes them.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_object_verbs import Kubelab, kubelab, server  # noqa: F401  (fixtures)
from tests.support import ComponentProcess, wait_until


def deployment(name: str, node: str = "") -> str:
    node_name = f"\n      nodeName: {node}" if node else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:{node_name}
      containers:
      - name: c
        image: busybox
        command: [sleep, "3600"]
"""


@pytest.fixture(scope="module", autouse=True)
def controllers(server):  # noqa: F811  (the fixture imported above)
    started = [ComponentProcess(module, server.address).start() for module in ("replicaset", "lifecycle")]
    try:
        for c in started:
            c.wait_serving()
        yield started
    finally:
        for c in started:
            c.stop()


def items(kubelab: Kubelab, kind: str, app: str) -> list[dict]:
    return json.loads(kubelab.run("get", kind, "-l", f"app={app}", "-o", "json").stdout)["items"]


def wait_items(kubelab: Kubelab, kind: str, app: str, ok, what: str) -> list[dict]:
    def check():
        found = items(kubelab, kind, app)
        return (found,) if ok(found) else None  # truthy even when what is waited for is an empty list
    return wait_until(check, 30, interval=0.2, what=what)[0]


def deployed(kubelab: Kubelab, name: str, node: str = "") -> tuple[dict, dict, list[dict]]:
    """The Deployment, its ReplicaSet and its two pods, once the controllers made them."""
    kubelab.run("apply", "-f", "-", stdin=deployment(name, node))
    deploy = json.loads(kubelab.run("get", "deploy", name, "-o", "json").stdout)
    (rs,) = wait_items(kubelab, "rs", name, lambda found: len(found) == 1, f"the ReplicaSet of {name}")
    pods = wait_items(kubelab, "pods", name, lambda found: len(found) == 2, f"the pods of {name}")
    return deploy, rs, pods


def owners(obj: dict) -> list[str]:
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences", [])]


def test_orphan_leaves_the_replica_set_and_pods_without_the_owner(kubelab):  # noqa: F811
    deploy, rs, pods = deployed(kubelab, "orphaned")
    assert owners(rs) == [deploy["metadata"]["uid"]]
    r = kubelab.run("delete", "deploy", "orphaned", "--cascade=orphan")
    assert r.stdout == 'deployment.apps "orphaned" deleted\n'  # returns once the Deployment is gone
    assert kubelab.run("get", "deploy", "orphaned", ok=False).stderr == (
        'Error from server (NotFound): deployments.apps "orphaned" not found\n')
    (kept,) = items(kubelab, "rs", "orphaned")
    assert kept["metadata"]["uid"] == rs["metadata"]["uid"] and owners(kept) == []  # orphaned
    assert "deletionTimestamp" not in kept["metadata"] and kept["metadata"].get("finalizers", []) == []
    left = items(kubelab, "pods", "orphaned")
    # the pods are the same ones, still the ReplicaSet's: orphaning reaches the direct dependents only
    assert sorted(p["metadata"]["uid"] for p in left) == sorted(p["metadata"]["uid"] for p in pods)
    assert all(owners(p) == [rs["metadata"]["uid"]] and "deletionTimestamp" not in p["metadata"] for p in left)
    # the ReplicaSet's own cascade takes its pods (a boolean --cascade still works, with kubectl's warning)
    r = kubelab.run("delete", "rs", "-l", "app=orphaned", "--cascade=true")
    assert r.stderr == ("warning: --cascade=true is deprecated (boolean value) and can be replaced with "
                        "--cascade=background.\n")
    wait_items(kubelab, "pods", "orphaned", lambda found: not found, "the orphaned pods to go with their set")


def test_foreground_keeps_the_deployment_until_its_dependents_are_gone(kubelab):  # noqa: F811
    deploy, rs, _ = deployed(kubelab, "fg", node="node-1")  # bound pods: deleting them waits for a kubelet
    deleting = kubelab.popen("delete", "deploy", "fg", "--cascade=foreground")
    try:
        deleting.wait_line(r'^deployment\.apps "fg" deleted$')
        terminating = wait_items(kubelab, "pods", "fg", lambda found: len(found) == 2 and all(
            "deletionTimestamp" in p["metadata"] for p in found), "the pods to be terminating")
        held = json.loads(kubelab.run("get", "deploy", "fg", "-o", "json").stdout)
        assert held["metadata"]["uid"] == deploy["metadata"]["uid"]
        assert "deletionTimestamp" in held["metadata"] and held["metadata"]["finalizers"] == ["foregroundDeletion"]
        (set_held,) = items(kubelab, "rs", "fg")  # the cascade goes down in the foreground too
        assert set_held["metadata"]["uid"] == rs["metadata"]["uid"] and "deletionTimestamp" in set_held["metadata"]
        assert set_held["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert deleting.proc.poll() is None  # delete waits for the Deployment itself
        names = [p["metadata"]["name"] for p in terminating]
        kubelab.run("delete", "pod", *names, "--force", "--grace-period=0")  # the kubelet's confirmation
        assert deleting.proc.wait(30) == 0
    finally:
        if deleting.proc.poll() is None:
            deleting.stop()
    assert kubelab.run("get", "deploy", "fg", ok=False).stderr == (
        'Error from server (NotFound): deployments.apps "fg" not found\n')
    assert items(kubelab, "rs", "fg") == [] and items(kubelab, "pods", "fg") == []
