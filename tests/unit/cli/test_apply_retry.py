"""apply's loop against a stand-in API: a conflict is retried from a fresh read; a lost create race too."""

import argparse
import asyncio
import json

import grpc

from kubelab.api import registry
from kubelab.cli.cmd.apply import _apply_one
from kubelab.cli.manifests import Document
from kubelab.cli.session import Session
from kubelab.errors import ApiError
from kubelab.manifest import from_dict

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
       "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}


class FakeApi:
    """Answers get/create_manifest/update_manifest from a script of outcomes."""

    def __init__(self, live: dict | None, conflicts: int = 0, create_races: int = 0):
        self.live, self.conflicts, self.create_races = live, conflicts, create_races
        self.gets = self.updates = self.creates = 0

    async def get(self, info, name, ns):
        self.gets += 1
        if self.live is None:
            raise ApiError(grpc.StatusCode.NOT_FOUND, "NotFound", f'pods "{name}" not found')
        return from_dict(self.live)

    async def create_manifest(self, text, namespace=""):
        self.creates += 1
        if self.create_races:
            self.create_races -= 1
            self.live = {**POD, "spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}
            raise ApiError(grpc.StatusCode.ALREADY_EXISTS, "AlreadyExists", 'pods "web" already exists')
        return from_dict(json.loads(text))

    async def update_manifest(self, text, namespace=""):
        self.updates += 1
        if self.conflicts:
            self.conflicts -= 1
            raise ApiError(grpc.StatusCode.ABORTED, "Conflict", 'Operation cannot be fulfilled on pods "web"')
        self.live = json.loads(text)
        return from_dict(self.live)


def apply(api: FakeApi, capsys) -> tuple[list[str], str]:
    ctx = Session(argparse.Namespace(namespace=None), api)
    errors: list[str] = []
    asyncio.run(_apply_one(ctx, Document("pod.yaml", POD, registry.by_kind("Pod")), errors))
    return errors, capsys.readouterr().out


def test_conflicts_are_retried_from_a_fresh_read(capsys):
    api = FakeApi({**POD, "spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}, conflicts=2)
    errors, out = apply(api, capsys)
    assert (errors, out) == ([], "pod/web configured\n")
    assert (api.gets, api.updates) == (3, 3)
    assert api.live["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_too_many_conflicts_is_reported_as_kubectl_does(capsys):
    api = FakeApi({**POD, "spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}, conflicts=99)
    errors, out = apply(api, capsys)
    assert out == "" and len(errors) == 1
    assert errors[0].startswith("Error from server (Conflict): error when applying patch:\n")
    assert errors[0].endswith('for: "pod.yaml": error when patching "pod.yaml": Operation cannot be fulfilled on pods "web"')


def test_losing_a_create_race_becomes_an_update(capsys):
    api = FakeApi(None, create_races=1)
    errors, out = apply(api, capsys)
    assert (errors, out) == ([], "pod/web configured\n")
    assert (api.creates, api.updates) == (1, 1)


def test_created_then_unchanged(capsys):
    api = FakeApi(None)
    assert apply(api, capsys) == ([], "pod/web created\n")
    api.live = json.loads(json.dumps(POD))
    api.live["metadata"]["annotations"] = {}
    assert apply(api, capsys)[1] == "pod/web configured\n"  # no last-applied annotation yet
    assert apply(api, capsys)[1] == "pod/web unchanged\n"
