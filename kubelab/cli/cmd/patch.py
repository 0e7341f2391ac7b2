"""kubelab patch, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/patch/patch.go).

    kubelab patch KIND NAME | KIND/NAME  -p PATCH | --patch-file FILE  [--type strategic|merge|json]

The patch is applied client-side: read the object, apply the patch (strategic merge with
kubelab.strategicpatch, JSON merge patch RFC 7386, or JSON patch RFC 6902 with the `jsonpatch`
library), and write it back with the resourceVersion read, re-reading on a conflict. The API server
sees an ordinary update, validated as any other.
"""

from __future__ import annotations

import argparse
import json

import jsonpatch
import yaml

from kubelab import strategicpatch
from kubelab.cli import flags
from kubelab.cli.dry_run import SUFFIX
from kubelab.cli.render.output import render_objects
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.manifest import to_dict

__all__ = ["register", "cmd_patch", "apply_patch", "PATCH_TYPES"]

PATCH_TYPES = ("json", "merge", "strategic")
CONFLICT_RETRIES = 5


def apply_patch(current: dict, patch, patch_type: str, message=None) -> dict:
    """The patched copy of current; message is the kind's proto class, whose field types say which lists
    strategic merge merges by key (kubelab.strategicpatch, the API server's own)."""
    try:
        if patch_type == "json":
            if not isinstance(patch, list):
                raise CliError("Error from server (BadRequest): json: cannot unmarshal object into Go value of "
                               "type jsonpatch.Patch")
            return jsonpatch.apply_patch(current, patch)
        if patch_type == "merge":
            return strategicpatch.merge_patch(current, patch)
        return strategicpatch.apply_to(current, patch, message.DESCRIPTOR if message else None)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, strategicpatch.StrategicPatchError) as e:
        raise CliError(f"Error from server (BadRequest): {e}") from None


def _read_patch(a) -> object:
    if a.patch and a.patch_file:
        raise CliError("error: cannot specify --patch and --patch-file together")
    if not a.patch and not a.patch_file:
        raise CliError("error: must specify --patch or --patch-file containing the contents of the patch")
    text = a.patch
    if a.patch_file:
        try:
            with open(a.patch_file) as f:
                text = f.read()
        except OSError as e:
            raise CliError(f"error: unable to read patch file: {e}") from None
    try:
        return yaml.safe_load(text)  # kubectl takes YAML or JSON
    except yaml.YAMLError as e:
        raise CliError(f"error: unable to parse \"{text}\": {e}") from None


async def cmd_patch(ctx: Session) -> int:
    a = ctx.args
    if a.type not in PATCH_TYPES:
        raise CliError(f'error: --type must be one of [json merge strategic], not "{a.type}"')
    patch = _read_patch(a)
    targets = parse_targets(a.resources, "patch")
    for target in targets:
        if not target.names:
            raise CliError("error: resource(s) were provided, but no name was specified")
        for name in target.names:
            await _patch_one(ctx, target.info, name, patch)
    return ctx.status()


async def _patch_one(ctx: Session, info, name: str, patch) -> None:
    a = ctx.args
    ns = ctx.namespace if info.namespaced else ""
    for attempt in range(CONFLICT_RETRIES):
        try:
            live = await ctx.client.get(info, name, ns)
        except ApiError as e:
            if not is_not_found(e):
                raise
            ctx.api_error(e)
            return
        current = to_dict(live)
        wanted = apply_patch(current, patch, a.type, info.message)
        changed = wanted != current
        result = live
        if changed and a.dry_run == "none":
            try:
                result = await ctx.client.update_manifest(json.dumps(wanted), namespace=ns)
            except ApiError as e:
                if is_conflict(e) and attempt + 1 < CONFLICT_RETRIES:
                    continue
                raise
        if a.output:
            ctx.out(render_objects([result], a.output, single=True))
        else:
            word = "patched" if changed else "patched (no change)"
            ctx.out(f"{kind_prefix(info)}/{name} {word}{SUFFIX.get(a.dry_run, '')}\n")
        return


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("patch", help="update fields of an object (like kubectl patch)")
    p.add_argument("resources", nargs="*", metavar="KIND NAME | KIND/NAME")
    p.add_argument("-p", "--patch", metavar="PATCH", help="the patch, JSON or YAML")
    p.add_argument("--patch-file", metavar="FILE", help="a file holding the patch")
    p.add_argument("--type", default="strategic", metavar="TYPE", help="strategic (default), merge or json")
    flags.namespace(p)
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=("none", "client", "server"),
                   help="only show the result; nothing is written")
    p.add_argument("-o", "--output", metavar="FORMAT", help="print the patched object: yaml, json or name")
    p.set_defaults(func=flags.verb(cmd_patch))
