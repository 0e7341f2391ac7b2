"""The effects: which API calls a plan makes, in which order and batches, and the events Kubernetes
records, word for word. The API client is a recording double (the seam); the integration tests run
the same code against the real API server."""
from __future__ import annotations

import grpc
import pytest

from kubelab.errors import ApiError
from services.statefulset.actions import CreateClaims, CreatePod, DeletePod, Step
from services.statefulset.pod_control import StatefulPodControl, SyncError
from services.statefulset.utils import new_stateful_set_pod
from tests.unit.statefulset.snapshots import claim, new_set


class Api:
    """Records calls; `fail[(verb, name)]` is raised instead of answering."""

    def __init__(self, fail: dict | None = None):
        self.calls: list[tuple[str, str]] = []
        self.fail = fail or {}

    def _call(self, verb: str, name: str):
        self.calls.append((verb, name))
        if (verb, name) in self.fail:
            raise self.fail[(verb, name)]

    async def create(self, obj):
        self._call("create", obj.metadata.name)
        out = type(obj)()
        out.CopyFrom(obj)
        out.metadata.resource_version = str(len(self.calls))
        return out

    async def delete(self, kind, name, namespace="", **kw):
        self._call("delete", name)
        gone = new_set()  # any object: only its resourceVersion is read
        gone.metadata.name, gone.metadata.resource_version = name, str(len(self.calls))
        return gone, True


class Events:
    def __init__(self):
        self.events: list[tuple[str, str, str]] = []

    def event(self, obj, type_, reason, message):
        self.events.append((type_, reason, message))


def err(code, reason, message):
    return ApiError(code, reason, message)


def control(fail=None):
    api, events, writes = Api(fail), Events(), []
    return StatefulPodControl(api, events, lambda kind, obj: writes.append((kind, obj.metadata.name))), api, \
        events, writes


def create_unit(sts, ordinal):
    pod = new_stateful_set_pod(sts, ordinal)
    return [CreateClaims(pod, (claim(sts, ordinal),)), CreatePod(pod)]


async def test_claims_first_then_the_pod_with_kubernetes_wording():
    sts = new_set()
    ctl, api, events, writes = control()
    await ctl.run(sts, [Step([create_unit(sts, 0)])])
    assert api.calls == [("create", "www-web-0"), ("create", "web-0")]
    assert events.events == [
        ("Normal", "SuccessfulCreate", "create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        ("Normal", "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful")]
    assert writes == [("PersistentVolumeClaim", "www-web-0"), ("Pod", "web-0")]


async def test_an_existing_claim_is_reused_silently():
    sts = new_set()
    ctl, api, events, _ = control({("create", "www-web-0"): err(grpc.StatusCode.ALREADY_EXISTS, "AlreadyExists",
                                                                'persistentvolumeclaims "www-web-0" already exists')})
    await ctl.run(sts, [Step([create_unit(sts, 0)])])
    assert api.calls[-1] == ("create", "web-0")
    assert [e[2] for e in events.events] == ["create Pod web-0 in StatefulSet web successful"]


async def test_a_claim_being_deleted_stops_the_pod_and_says_why():
    sts = new_set()
    pod = new_stateful_set_pod(sts, 0)
    ctl, api, events, _ = control()
    with pytest.raises(SyncError, match="pvc www-web-0 is being deleted"):
        await ctl.run(sts, [Step([[CreateClaims(pod, (), ("www-web-0",)), CreatePod(pod)]])])
    assert api.calls == []
    assert events.events == [("Warning", "FailedCreate",
                              "create Pod web-0 in StatefulSet web failed error: pvc www-web-0 is being deleted")]


async def test_a_failed_pod_create_is_reported_and_stops_the_plan():
    sts = new_set()
    boom = err(grpc.StatusCode.INVALID_ARGUMENT, "Invalid", 'Pod "web-0" is invalid: spec: Required value')
    ctl, api, events, _ = control({("create", "web-0"): boom})
    with pytest.raises(SyncError):
        await ctl.run(sts, [Step([create_unit(sts, 0), create_unit(sts, 1)])])
    assert ("create", "web-1") not in api.calls
    assert events.events[-1] == ("Warning", "FailedCreate", "create Pod web-0 in StatefulSet web failed error: "
                                 'Pod "web-0" is invalid: spec: Required value')


async def test_already_exists_on_a_pod_is_an_error_without_an_event():
    sts = new_set()
    ctl, _, events, _ = control({("create", "web-0"): err(grpc.StatusCode.ALREADY_EXISTS, "AlreadyExists", "x")})
    with pytest.raises(SyncError):
        await ctl.run(sts, [Step([create_unit(sts, 0)])])
    assert all(e[1] != "FailedCreate" for e in events.events)


async def test_parallel_steps_run_in_slow_start_batches_and_stop_after_a_failing_batch():
    sts = new_set(7)
    units = [[CreatePod(new_stateful_set_pod(sts, i))] for i in range(7)]
    ctl, api, _, _ = control({("create", "web-2"): err(grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", "x")})
    with pytest.raises(SyncError):
        await ctl.run(sts, [Step(units, parallel=True)])
    assert sorted(n for _, n in api.calls) == ["web-0", "web-1", "web-2"]  # batches of 1, then 2: then stop
    ctl, api, _, _ = control()
    await ctl.run(sts, [Step(units, parallel=True)])
    assert len(api.calls) == 7


async def test_deleting_a_pod_that_is_already_gone_is_fine():
    sts = new_set()
    pod = new_stateful_set_pod(sts, 2)
    ctl, _, events, _ = control({("delete", "web-2"): err(grpc.StatusCode.NOT_FOUND, "NotFound", "gone")})
    await ctl.run(sts, [Step([[DeletePod(pod, "scale down")]])])
    assert events.events == []
    ctl, _, events, _ = control()
    await ctl.run(sts, [Step([[DeletePod(pod, "scale down")]])])
    assert events.events == [("Normal", "SuccessfulDelete", "delete Pod web-2 in StatefulSet web successful")]
