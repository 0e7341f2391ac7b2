"""PATCH bodies to functions from an object's JSON form to the patched form, by Content-Type
(apiserver pkg/endpoints/handlers/patch.go): JSON merge patch (RFC 7386), JSON patch (RFC 6902, the
`jsonpatch` library), strategic merge patch (kubelab.strategicpatch) and server-side apply.

Server-side apply here is create-or-merge: the applied configuration is merged into the live object
as a merge patch (fields the manager dropped are not removed), and the manager is recorded in
metadata.managedFields; conflicts between managers are not detected.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import grpc
import jsonpatch
import yaml

from kubelab import fielderrors, manifest, strategicpatch
from services.apiserver import errors
from services.apiserver.http import objects
from services.apiserver.http.paths import Target

__all__ = ["patch_function", "validated", "MERGE", "JSON", "STRATEGIC", "APPLY"]

MERGE, JSON = "application/merge-patch+json", "application/json-patch+json"
STRATEGIC, APPLY = "application/strategic-merge-patch+json", "application/apply-patch+yaml"
MAX_OPERATIONS = 10000  # kube-apiserver's limit on a JSON patch


class _Apply:
    """Server-side apply: merge into the live object, or create it (creates=True tells the handler)."""
    creates = True

    def __init__(self, doc: dict, target: Target, manager: str):
        if not manager:
            raise errors.bad_request("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
                                     "is required for apply patch")
        self.doc, self.target, self.manager = doc, target, manager

    def __call__(self, current: dict) -> dict:
        return _record_manager(strategicpatch.merge_patch(current, self.doc), self.manager, "Apply", self.target)

    def new_object(self):
        doc = _record_manager(dict(self.doc), self.manager, "Apply", self.target)
        doc.setdefault("metadata", {}).setdefault("name", self.target.name)
        return objects.decode(doc, self.target.info)


def _record_manager(obj: dict, manager: str, operation: str, target: Target) -> dict:
    """metadata.managedFields gets (or refreshes) this manager's entry; the fields themselves are not
    tracked (kubelab's ManagedFieldsEntry has no fieldsV1)."""
    meta = obj.setdefault("metadata", {})
    entries = [e for e in meta.get("managedFields") or []
               if (e.get("manager"), e.get("operation")) != (manager, operation)]
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries.append({"manager": manager, "operation": operation, "apiVersion": target.info.api_version,
                    "time": now})
    meta["managedFields"] = entries
    return obj


def _json_patch(ops) -> Callable[[dict], dict]:
    if not isinstance(ops, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_OPERATIONS:
        raise errors.ApiError(grpc.StatusCode.RESOURCE_EXHAUSTED, "RequestEntityTooLarge",
                              f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(ops)}")
    try:
        patch = jsonpatch.JsonPatch(ops)
    except (jsonpatch.InvalidJsonPatch, TypeError) as e:
        raise errors.bad_request(f"the server rejected our request due to an error in our request: {e}") from None

    def apply(current: dict) -> dict:
        try:
            return patch.apply(current)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
            raise errors.ApiError(grpc.StatusCode.INVALID_ARGUMENT, "Invalid",
                                  f"the server rejected our request due to an error in our request: {e}") from None
    return apply


def _strategic(doc, target: Target) -> Callable[[dict], dict]:
    descriptor = target.info.message.DESCRIPTOR

    def apply(current: dict) -> dict:
        try:
            return strategicpatch.apply_to(current, doc, descriptor)
        except strategicpatch.StrategicPatchError as e:
            raise errors.bad_request(str(e)) from None
    return apply


def patch_function(content_type: str, body: bytes, target: Target, manager: str) -> Callable[[dict], dict]:
    media = content_type.split(";")[0].strip()
    if media == APPLY:
        try:
            doc = yaml.safe_load(body) or {}
        except yaml.YAMLError as e:
            raise errors.bad_request(f"error decoding YAML: {e}") from None
        if not isinstance(doc, dict):
            raise errors.bad_request("the applied configuration must be an object")
        return _Apply(doc, target, manager)
    doc = objects.parse_json(body, "patch")
    if media == JSON:
        return _json_patch(doc)
    if not isinstance(doc, dict):
        raise errors.bad_request("error decoding patch: a merge patch must be a JSON object")
    if media == MERGE:
        return lambda current: strategicpatch.merge_patch(current, doc)
    if media == STRATEGIC:
        return _strategic(doc, target)
    raise errors.ApiError(grpc.StatusCode.INVALID_ARGUMENT, "UnsupportedMediaType",
                          'the body of the request was in an unknown format - accepted media types include: '
                          f'{JSON}, {MERGE}, {APPLY}, {STRATEGIC}')


def validated(apply: Callable[[dict], dict], target: Target, body: bytes, validation: str,
              warnings: list[str]) -> Callable[[dict], dict]:
    """apply, with the unknown fields of what it makes handled as fieldValidation says (apiserver
    handlers/patch.go): Strict, 422 with one cause on field `patch`; Warn (the default), dropped with a
    warning each; Ignore, dropped. Server-side apply is left as it is."""
    if isinstance(apply, _Apply):
        return apply

    def checked(current: dict) -> dict:
        result = apply(current)
        try:
            manifest.from_dict(result)
            return result
        except manifest.StrictDecodingError as e:
            unknown = objects.unknown_fields(e)
            if len(unknown) != len(e.problems):
                return result  # other decoding problems: the update reports them
        if validation == "Strict":
            detail = "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in unknown)
            raise errors.invalid(target.info, target.name, [
                fielderrors.invalid("patch", body.decode("utf-8", "replace"), detail)])
        for path in unknown:
            objects.drop_field(result, path)
        if validation == "Warn":
            warnings[:] = [f'unknown field "{p}"' for p in unknown]
        return result
    return checked
