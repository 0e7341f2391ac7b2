"""kubelab edit, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/util/editor/editoptions.go).

    kubelab edit KIND NAME | KIND/NAME [-n NS]     (KUBE_EDITOR, else EDITOR, else vi)

The object is written as YAML under kubectl's header comment, the editor runs on the file, and what
the result (comment lines dropped) changes is sent as a patch, as kubectl sends its two-way merge patch:
only the fields edited, so what others wrote meanwhile (the kubelet's status, a controller's annotation)
is kept, not a conflict. Changing apiVersion, kind or name is refused with kubectl's message. An invalid
edit re-opens the file with the server's errors as comments at the top; saving it unchanged again gives
up, as kubectl does.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import tempfile

import yaml

from kubelab.api.registry import KindInfo
from kubelab.cli import flags
from kubelab.cli.merge import identity_changed, merge_patch_between
from kubelab.cli.render.output import dumps_yaml, object_dict
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError

__all__ = ["register", "cmd_edit", "strip_comments"]

HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
          "# reopened with the relevant failures.\n#\n")


def strip_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#"))


def _editor() -> list[str]:
    return shlex.split(os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi")


def _run_editor(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", prefix="kubelab-edit-", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        try:
            code = subprocess.call([*_editor(), path])
        except OSError as e:
            raise CliError(f"error: unable to launch the editor {' '.join(_editor())!r}: {e}") from None
        if code != 0:
            raise CliError(f"error: there was a problem with the editor {' '.join(_editor())!r}")
        with open(path) as f:
            return f.read()
    finally:
        os.unlink(path)


def _causes(err: ApiError) -> list[str]:
    """The field errors of an Invalid error (`Pod "x" is invalid: [a: ..., b: ...]`), each once."""
    text = err.message.split(" is invalid: ", 1)[-1]
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return list(dict.fromkeys(text.split(", ")))


async def cmd_edit(ctx: Session) -> int:
    targets = parse_targets(ctx.args.resources, "edit")
    for target in targets:
        if not target.names:
            raise CliError("error: resource(s) were provided, but no name was specified")
        for name in target.names:
            await _edit_one(ctx, target.info, name)
    return ctx.status()


async def _edit_one(ctx: Session, info: KindInfo, name: str) -> None:
    ns = ctx.namespace if info.namespaced else ""
    live = await ctx.client.get(info, name, ns)
    original = dumps_yaml(object_dict(live))
    base = yaml.safe_load(original)  # what the file said before the edit, read as the edit is
    shown, last_invalid = original, None
    errors = ""
    while True:
        edited = strip_comments(_run_editor(HEADER + errors + shown))
        if not edited.strip():
            ctx.out("Edit cancelled, saved file was empty.\n")
            return
        if edited == original:
            ctx.out("Edit cancelled, no changes made.\n")
            return
        if edited == last_invalid:
            raise CliError("error: Edit cancelled, no valid changes were saved.")
        try:
            data = yaml.safe_load(edited)
            patch = merge_patch_between(base, data) if isinstance(data, dict) else None
            if patch is not None and not patch:
                ctx.out("Edit cancelled, no changes made.\n")
                return
            if patch is None or identity_changed(patch):
                raise CliError("error: At least one of apiVersion, kind and name was changed")
            await ctx.client.patch(info, name, json.dumps(patch), ns)
        except yaml.YAMLError as e:
            errors = f"# The edited file had a syntax error: {str(e).splitlines()[0]}\n#\n"
        except ApiError as e:
            errors = f'# {info.plural} "{name}" was not valid:\n' + "".join(f"# * {c}\n" for c in _causes(e)) + "#\n"
        else:
            ctx.out(f"{kind_prefix(info)}/{name} edited\n")
            return
        shown, last_invalid = edited, edited


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("edit", help="edit an object in $KUBE_EDITOR or $EDITOR (like kubectl edit)")
    flags.target(p)
    p.set_defaults(func=flags.verb(cmd_edit))
