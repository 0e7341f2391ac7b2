"""Every verb of the API server, against a real API server on a real Redis."""
import uuid

import grpc
import pytest
import yaml

from kubelab import manifest
from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2 as pb
from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.client import ApiError


def pod(name: str, node: str = "", labels: dict | None = None, ns: str = "default") -> core_pb2.Pod:
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
    })


def deployment(name: str, replicas: int = 1) -> apps_pb2.Deployment:
    return manifest.from_dict(yaml.safe_load(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: web, image: nginx}}]
"""))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_default_namespaces_exist(client):
    names = {ns.metadata.name for ns in (await client.list("Namespace"))[0]}
    assert {"default", "kube-system"} <= names


async def test_create_sets_metadata_and_defaults(client):
    p = await client.create(pod(unique("p")))
    assert p.metadata.uid and p.metadata.resource_version and p.metadata.generation == 1
    assert p.metadata.creation_timestamp.seconds > 0
    assert p.spec.restart_policy == "Always"
    assert p.spec.termination_grace_period_seconds == 30
    assert p.status.phase == "Pending"
    got = await client.get("Pod", p.metadata.name, "default")
    assert got == p


async def test_create_twice_is_already_exists(client):
    name = unique("dup")
    await client.create(pod(name))
    with pytest.raises(ApiError) as e:
        await client.create(pod(name))
    assert e.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert e.value.message == f'pods "{name}" already exists'


async def test_generate_name(client):
    p = pod("")
    p.metadata.generate_name = "web-"
    created = await client.create(p)
    assert created.metadata.name.startswith("web-") and len(created.metadata.name) == 9


async def test_a_retried_create_answers_with_what_its_first_attempt_made(client):
    """The same request id twice (a retry whose first answer was lost): one object, the first one."""
    def create(obj, request_id):
        req = pb.WriteRequest(object=registry.wrap(obj), request_id=request_id)
        return client.stub.Create(req, timeout=10)

    p = pod("")
    p.metadata.generate_name = "retried-"
    first, again = uuid.uuid4().hex, uuid.uuid4().hex
    made = registry.unwrap(await create(p, first))
    replay = registry.unwrap(await create(p, first))
    assert (replay.metadata.name, replay.metadata.uid, replay.metadata.resource_version) == \
        (made.metadata.name, made.metadata.uid, made.metadata.resource_version)
    other = registry.unwrap(await create(p, again))  # another request: another object
    assert other.metadata.name != made.metadata.name
    pods, _ = await client.list("Pod", "default")
    assert sorted(x.metadata.name for x in pods if x.metadata.generate_name == "retried-") == \
        sorted([made.metadata.name, other.metadata.name])

    named = pod(unique("named"))  # with a name, the retry is not AlreadyExists either
    made = registry.unwrap(await create(named, first * 2))
    assert registry.unwrap(await create(named, first * 2)).metadata.uid == made.metadata.uid
    with pytest.raises(grpc.aio.AioRpcError) as e:  # but a different request for the same name is
        await create(named, again * 2)
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS

    await client.delete("Pod", named.metadata.name, "default")
    with pytest.raises(grpc.aio.AioRpcError) as e:  # a retry after its object was deleted
        await create(named, first * 2)
    assert e.value.code() == grpc.StatusCode.ABORTED
    assert "the object this request created earlier was deleted before the retry came" in e.value.details()


async def test_get_missing_is_not_found_in_kubernetes_words(client):
    with pytest.raises(ApiError) as e:
        await client.get("Deployment", "nope", "default")
    assert e.value.code == grpc.StatusCode.NOT_FOUND and e.value.reason == "NotFound"
    assert e.value.message == 'deployments.apps "nope" not found'


async def test_create_in_missing_namespace(client):
    with pytest.raises(ApiError) as e:
        await client.create(pod("x", ns="no-such-ns"))
    assert e.value.message == 'namespaces "no-such-ns" not found'


async def test_update_conflict_and_generation(client):
    d = await client.create(deployment(unique("web")))
    assert d.metadata.generation == 1
    d.spec.replicas = 3
    updated = await client.update(d)
    assert updated.metadata.generation == 2
    assert int(updated.metadata.resource_version) > int(d.metadata.resource_version)
    # the first copy is now stale
    d.spec.replicas = 5
    with pytest.raises(ApiError) as e:
        await client.update(d)
    assert e.value.code == grpc.StatusCode.ABORTED
    assert e.value.message == (f'Operation cannot be fulfilled on deployments.apps "{d.metadata.name}": the '
                               "object has been modified; please apply your changes to the latest version "
                               "and try again")
    # a label change is not a spec change
    updated.metadata.labels["tier"] = "front"
    relabeled = await client.update(updated)
    assert relabeled.metadata.generation == 2


async def test_update_ignores_status_and_update_status_ignores_spec(client):
    d = await client.create(deployment(unique("st")))
    d.status.replicas = 7
    d.spec.replicas = 2
    after = await client.update(d)
    assert after.status.replicas == 0 and after.spec.replicas == 2
    after.status.replicas = 2
    after.status.observed_generation = after.metadata.generation
    after.spec.replicas = 9
    st = await client.update_status(after)
    assert st.status.replicas == 2 and st.spec.replicas == 2
    assert st.metadata.generation == after.metadata.generation


async def test_patch_merge(client):
    d = await client.create(deployment(unique("pt")))
    patched = await client.patch("deploy", d.metadata.name, {"spec": {"replicas": 4},
                                                            "metadata": {"labels": {"a": "b"}}}, "default")
    assert patched.spec.replicas == 4 and patched.metadata.labels["a"] == "b"
    assert patched.metadata.generation == 2
    removed = await client.patch("deploy", d.metadata.name, {"metadata": {"labels": {"a": None}}}, "default")
    assert "a" not in removed.metadata.labels


async def test_list_selectors(client):
    ns = unique("ns")
    nsobj = core_pb2.Namespace()
    nsobj.metadata.name = ns
    await client.create(nsobj)
    await client.create(pod("a", node="node-1", labels={"app": "web", "tier": "front"}, ns=ns))
    await client.create(pod("b", node="node-2", labels={"app": "web"}, ns=ns))
    await client.create(pod("c", labels={"app": "db"}, ns=ns))

    async def names(**kw):
        items, rv = await client.list("pods", ns, **kw)
        assert int(rv) > 0
        return sorted(p.metadata.name for p in items)

    assert await names() == ["a", "b", "c"]
    assert await names(label_selector="app=web") == ["a", "b"]
    assert await names(label_selector="app==web,tier") == ["a"]
    assert await names(label_selector="app!=web") == ["c"]
    assert await names(label_selector="app in (db, x)") == ["c"]
    assert await names(label_selector="app notin (db)") == ["a", "b"]
    assert await names(label_selector="!tier") == ["b", "c"]
    assert await names(field_selector="spec.nodeName=node-1") == ["a"]
    assert await names(field_selector="spec.nodeName=") == ["c"]
    assert await names(field_selector="metadata.name!=a,status.phase=Pending") == ["b", "c"]
    all_ns, _ = await client.list("pods", "", field_selector=f"metadata.namespace={ns}")
    assert len(all_ns) == 3
    with pytest.raises(ApiError) as e:
        await client.list("pods", ns, field_selector="spec.bogus=x")
    assert e.value.message == "field label not supported: spec.bogus"


async def test_delete_preconditions(client):
    d = await client.create(deployment(unique("pre")))
    with pytest.raises(ApiError) as e:
        await client.delete("Deployment", d.metadata.name, "default", uid="wrong")
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert e.value.message == f"Precondition failed: UID in precondition: wrong, UID in object meta: {d.metadata.uid}"
    with pytest.raises(ApiError) as e:
        await client.delete("Deployment", d.metadata.name, "default", resource_version="1")
    assert "ResourceVersion in precondition: 1" in e.value.message
    _, gone = await client.delete("Deployment", d.metadata.name, "default", uid=d.metadata.uid)
    assert gone
    with pytest.raises(ApiError) as e:
        await client.get("Deployment", d.metadata.name, "default")
    assert e.value.reason == "NotFound"


async def test_finalizers_keep_object_until_removed(client):
    d = deployment(unique("fin"))
    d.metadata.finalizers.append("example.com/hold")
    d = await client.create(d)
    obj, gone = await client.delete("Deployment", d.metadata.name, "default")
    assert not gone and obj.metadata.HasField("deletion_timestamp")
    still = await client.get("Deployment", d.metadata.name, "default")
    assert still.metadata.HasField("deletion_timestamp")
    del still.metadata.finalizers[:]
    await client.update(still)
    with pytest.raises(ApiError):
        await client.get("Deployment", d.metadata.name, "default")


async def test_propagation_policy_finalizers(client):
    for policy, finalizer in (("Foreground", "foregroundDeletion"), ("Orphan", "orphan")):
        d = await client.create(deployment(unique(policy.lower())))
        obj, gone = await client.delete("Deployment", d.metadata.name, "default", propagation_policy=policy)
        assert not gone and list(obj.metadata.finalizers) == [finalizer]
    d = await client.create(deployment(unique("bg")))
    _, gone = await client.delete("Deployment", d.metadata.name, "default", propagation_policy="Background")
    assert gone


async def test_pod_grace_period(client):
    unscheduled = await client.create(pod(unique("free")))
    _, gone = await client.delete("Pod", unscheduled.metadata.name, "default")
    assert gone  # no node agent to wait for
    p = await client.create(pod(unique("bound"), node="node-1"))
    obj, gone = await client.delete("Pod", p.metadata.name, "default")
    assert not gone
    assert obj.metadata.deletion_grace_period_seconds == 30
    assert obj.metadata.deletion_timestamp.seconds >= p.metadata.creation_timestamp.seconds + 30
    # the node agent confirms with grace 0
    _, gone = await client.delete("Pod", p.metadata.name, "default", grace_period_seconds=0)
    assert gone
    q = await client.create(pod(unique("forced"), node="node-1"))
    _, gone = await client.delete("Pod", q.metadata.name, "default", grace_period_seconds=0)
    assert gone


async def test_bind_once(client):
    p = await client.create(pod(unique("bind")))
    bound = await client.bind("default", p.metadata.name, "node-2")
    assert bound.spec.node_name == "node-2"
    assert any(c.type == "PodScheduled" and c.status == "True" for c in bound.status.conditions)
    with pytest.raises(ApiError) as e:
        await client.bind("default", p.metadata.name, "node-3")
    assert e.value.code == grpc.StatusCode.ABORTED
    assert e.value.message == (f'Operation cannot be fulfilled on pods/binding "{p.metadata.name}": '
                               f'pod {p.metadata.name} is already assigned to node "node-2"')


async def test_manifest_strict_decoding_errors(client):
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replica: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {label: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""
    with pytest.raises(ApiError) as e:
        await client.create_manifest(text)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and e.value.reason == "BadRequest"
    assert e.value.message == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                               'error: unknown field "spec.replica", unknown field "spec.template.metadata.label"')
    assert [f for f, _ in e.value.causes] == ["spec.replica", "spec.template.metadata.label"]
    with pytest.raises(ApiError) as e:
        await client.create_manifest(text.replace("apps/v1", "app/v1"))
    assert e.value.message == 'no matches for kind "Deployment" in version "app/v1"'


async def test_invalid_object_lists_every_error(client):
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-bad}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: other}}
    spec:
      restartPolicy: OnFailure
      containers: [{name: web, image: nginx}]
"""
    with pytest.raises(ApiError) as e:
        await client.create_manifest(text)
    assert e.value.reason == "Invalid"
    assert e.value.message.startswith('Deployment.apps "web-bad" is invalid: [')
    assert 'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"' \
        in e.value.message
    assert "`selector` does not match template `labels`" in e.value.message
    fields = {f for f, _ in e.value.causes}
    assert {"spec.template.spec.restartPolicy", "spec.template.metadata.labels"} <= fields


async def test_protected_namespace(client):
    with pytest.raises(ApiError) as e:
        await client.delete("Namespace", "default")
    assert e.value.reason == "Forbidden"


async def test_namespace_deletion_waits_for_its_finalizer(client):
    ns = core_pb2.Namespace()
    ns.metadata.name = unique("gone")
    created = await client.create(ns)
    assert list(created.spec.finalizers) == ["kubernetes"]
    obj, gone = await client.delete("Namespace", ns.metadata.name)
    assert not gone and obj.status.phase == "Terminating"
    await client.list("Namespace")  # a consistent read: the server's cache has seen the deletion
    with pytest.raises(ApiError) as e:
        await client.create(pod("late", ns=ns.metadata.name))
    assert e.value.reason == "Forbidden"
    assert "because it is being terminated" in e.value.message
    # what the namespace controller does once the namespace is empty
    del obj.spec.finalizers[:]
    await client.update(obj)
    with pytest.raises(ApiError) as e:
        await client.get("Namespace", ns.metadata.name)
    assert e.value.reason == "NotFound"
