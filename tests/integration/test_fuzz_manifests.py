"""Property-based fuzzing: malformed or random manifests never crash the API server and
always get INVALID_ARGUMENT naming at least one field path."""
import asyncio
import copy
import json

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubelab.client import ApiError, Client
from kubelab.cluster.healthcheck import SERVING, check_health

BASES = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fz"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fz"}},
              "template": {"metadata": {"labels": {"app": "fz"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx",
                                                    "ports": [{"containerPort": 80}]}]}}}},
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "fz"},
     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "fz"},
     "spec": {"serviceName": "fz", "selector": {"matchLabels": {"app": "fz"}},
              "template": {"metadata": {"labels": {"app": "fz"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
              "volumeClaimTemplates": [{"metadata": {"name": "d"},
                                        "spec": {"accessModes": ["ReadWriteOnce"],
                                                 "resources": {"requests": {"storage": "1Gi"}}}}]}},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, prefix + (i,))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        targets = [p for p in paths(doc) if p and p[0] not in ("apiVersion", "kind")]
        if not targets:  # an earlier mutation left nothing but apiVersion and kind
            break
        path = draw(st.sampled_from(targets))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "unknown", "delete"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
        elif isinstance(parent, dict):
            parent.pop(path[-1], None)
    doc["metadata"] = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    doc["metadata"]["name"] = "fz-" + str(draw(st.integers(0, 10**9)))
    return doc


documents = mutated() | json_values | st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "app/v1", ""]), "kind": st.text(max_size=12)},
    optional={"metadata": json_values, "spec": json_values})


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=documents)
def test_random_manifests_get_invalid_argument_with_a_path(apiserver, doc):
    async def send():
        async with Client(apiserver.address, retry_deadline=5) as c:
            try:
                await c.create_manifest(json.dumps(doc), namespace="default")
            except ApiError as e:
                return e
        return None

    err = asyncio.run(send())
    if err is None:
        return  # the mutation happened to keep the object valid
    assert err.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS), (err, doc)
    if err.code == grpc.StatusCode.INVALID_ARGUMENT:
        assert err.causes and all(isinstance(f, str) for f, _ in err.causes), (err, doc)
        assert any(f for f, _ in err.causes), (err, doc)


def test_server_still_serving_after_fuzzing(apiserver):
    assert check_health(apiserver.address) == SERVING
