"""kubelab apply -f / create -f: `deployment.apps/web created|configured|unchanged`.

apply keeps kubectl's last-applied-configuration annotation and writes the three-way merge of
(last applied, this manifest, live object) with the live resourceVersion, retrying on conflict.
Every document is tried; the errors are printed at the end (unusable documents first), and the
exit status is 1 if any failed, as kubectl does.
"""

from __future__ import annotations

import argparse
import copy
import json

from kubelab.api.registry import KindInfo
from kubelab.cli import dry_run, flags
from kubelab.cli.errors import format_api_error
from kubelab.cli.manifests import Document, read_documents
from kubelab.cli.merge import LAST_APPLIED, patch_of, three_way
from kubelab.cli.session import CliError, DEFAULT_NAMESPACE, Session
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_not_found
from kubelab.manifest import to_dict

__all__ = ["register", "cmd_apply", "cmd_create", "documents", "document_namespace", "last_applied"]

CONFLICT_RETRIES = 5


def documents(ctx: Session, verb: str) -> list[Document]:
    """Every document of the -f arguments; no documents at all is kubectl's error."""
    try:
        docs = list(read_documents(ctx.args.filename, ctx.args.recursive))
    except (FileNotFoundError, OSError) as e:
        text = str(e)
        raise CliError(text if text.startswith("error: ") else f"error: {text}") from None
    if not docs:
        raise CliError(f"error: no objects passed to {verb}")
    return docs


def document_namespace(ctx: Session, doc: Document) -> str:
    """The namespace a document goes to; a clash with an explicit -n is kubectl's error."""
    if not doc.info.namespaced:
        return ""
    explicit = getattr(ctx.args, "namespace", None)
    if explicit and doc.namespace and doc.namespace != explicit:
        raise CliError(f'error: the namespace from the provided object "{doc.namespace}" does not match the '
                       f'namespace "{explicit}". You must pass \'--namespace={doc.namespace}\' to perform this '
                       "operation.")
    return doc.namespace or explicit or DEFAULT_NAMESPACE


def last_applied(data: dict, namespace: str) -> dict:
    """The manifest with kubectl's last-applied-configuration annotation (its own JSON) added."""
    plain = copy.deepcopy(data)
    meta = plain.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    if namespace:
        meta.setdefault("namespace", namespace)
    modified = copy.deepcopy(plain)
    modified["metadata"]["annotations"] = {
        **annotations, LAST_APPLIED: json.dumps(plain, sort_keys=True, separators=(",", ":")) + "\n"}
    return modified


def _resource_line(info: KindInfo, name: str, namespace: str) -> str:
    gv = f"{info.group}/{info.version}" if info.group else f"/{info.version}"
    return (f'Resource: "{gv}, Resource={info.plural}", GroupVersionKind: "{gv}, Kind={info.kind}"\n'
            f'Name: "{name}", Namespace: "{namespace}"')


async def _apply_one(ctx: Session, doc: Document, errors: list[str]) -> None:
    info, name = doc.info, doc.name
    ns = document_namespace(ctx, doc)
    if not name:
        errors.append(f"error: error when retrieving current configuration of:\n{_resource_line(info, name, ns)}\n"
                      f'from server for: "{doc.source}": resource name may not be empty')
        return
    modified = last_applied(doc.data, ns)
    for attempt in range(CONFLICT_RETRIES):
        try:
            current = await ctx.client.get(info, name, ns)
        except ApiError as e:
            if not is_not_found(e):
                raise
            try:
                created = await dry_run.create(ctx, modified, ns)
            except ApiError as e:
                if is_already_exists(e) and attempt + 1 < CONFLICT_RETRIES:
                    continue
                errors.append(format_api_error(e, verb="creating", source=doc.source))
                return
            dry_run.report(ctx, created, "created")
            return
        live = to_dict(current)
        original = _parse_last_applied(current.metadata.annotations.get(LAST_APPLIED))
        wanted = three_way(original, modified, live)
        if wanted is None:
            dry_run.report(ctx, current, "unchanged")
            return
        try:
            updated = await dry_run.update(ctx, wanted, ns)
        except ApiError as e:
            if is_conflict(e) and attempt + 1 < CONFLICT_RETRIES:
                continue
            errors.append(_patch_error(e, doc, ns, patch_of(live, modified)))
            return
        dry_run.report(ctx, updated, "configured")
        return


def _parse_last_applied(text: str | None) -> dict | None:
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _patch_error(err: ApiError, doc: Document, ns: str, patch: dict) -> str:
    """kubectl's message for a failed apply to an existing object, naming the file it came from."""
    return (f"Error from server ({err.reason}): error when applying patch:\n"
            f"{json.dumps(patch, sort_keys=True, separators=(',', ':'))}\nto:\n"
            f"{_resource_line(doc.info, doc.name, ns)}\n"
            f'for: "{doc.source}": error when patching "{doc.source}": {err.message}')


async def _run(ctx: Session, verb: str) -> int:
    dry_run.check(ctx)
    docs = documents(ctx, verb)
    builder_errors = [d.error for d in docs if d.error]
    errors: list[str] = []
    for doc in docs:
        if doc.error:
            continue
        try:
            if verb == "apply":
                await _apply_one(ctx, doc, errors)
            else:
                await _create_one(ctx, doc, errors)
        except CliError as e:
            builder_errors.append(str(e))
    for text in builder_errors + errors:
        ctx.error(text)
    return ctx.status()


async def _create_one(ctx: Session, doc: Document, errors: list[str]) -> None:
    ns = document_namespace(ctx, doc)
    try:
        created = await dry_run.create(ctx, doc.data, ns)
    except ApiError as e:
        errors.append(format_api_error(e, verb="creating", source=doc.source))
        return
    dry_run.report(ctx, created, "created")


async def cmd_apply(ctx: Session) -> int:
    return await _run(ctx, "apply")


async def cmd_create(ctx: Session) -> int:
    if not ctx.args.filename:
        raise CliError("error: must specify one of -f and -k")
    return await _run(ctx, "create")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("apply", help="create or update objects from manifests (like kubectl apply)")
    flags.files(p, required=True)
    flags.namespace(p)
    flags.dry_run(p)
    p.set_defaults(func=flags.verb(cmd_apply))
