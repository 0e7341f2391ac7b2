"""`kubelab create -f FILE` (kubelab.cli.cmd.apply.cmd_create: it reads manifests as apply does), and
`kubelab create configmap|cm NAME` and `kubelab create secret generic NAME`, as kubectl's (kubectl
pkg/cmd/create/create_configmap.go, create_secret.go, pkg/cmd/util/env_file.go and util.ParseFileSource).

    --from-literal=KEY=VALUE        (repeatable; quotes around VALUE are dropped)
    --from-file=[KEY=]PATH          a file (key: its base name) or a directory (each regular file)
    --from-env-file=PATH            KEY=VALUE lines; `#` comments; a bare KEY takes this shell's value
    --type TYPE                     the Secret's type (default Opaque)
    --dry-run=none|client|server, -o yaml|json|name

Bad input is refused with kubectl's message before anything is sent. A ConfigMap file that is not UTF-8
goes to binaryData, as kubectl puts it.
"""
from __future__ import annotations

import argparse
import os
import posixpath
import stat
from pathlib import Path
from typing import Callable

from kubelab.api.v1 import core_pb2
from kubelab.cli import flags
from kubelab.cli.cmd.apply import cmd_create
from kubelab.cli.render.output import render_objects
from kubelab.cli.session import CliError, Session
from kubelab.errors import ApiError
from kubelab.validation_names import is_config_map_key, is_env_var_name

__all__ = ["register", "new_config_map", "new_secret", "parse_literal", "parse_file_source",
           "cmd_create_configmap", "cmd_create_secret_generic"]

_BOM = "\ufeff"


def parse_literal(source: str) -> tuple[str, str]:
    """ParseLiteralSource: `key=value`, split at the first `=`."""
    key, sep, value = source.partition("=")
    if not sep or not key:
        raise CliError(f"error: invalid literal source {source}, expected key=value")
    return key, value.strip("\"'")


def parse_file_source(source: str) -> tuple[str, str]:
    """ParseFileSource: (key, path); the key of a bare path is its base name."""
    n = source.count("=")
    if n == 0:
        return posixpath.basename(source.replace(os.sep, "/")), source
    if n == 1 and source.startswith("="):
        raise CliError(f"error: key name for file path {source[1:]} missing")
    if n == 1 and source.endswith("="):
        raise CliError(f"error: file path for key name {source[:-1]} missing")
    if n > 1:
        raise CliError("error: key names or file paths cannot contain '='")
    key, path = source.split("=")
    return key, path


def _env_file_pairs(path: str) -> list[tuple[str, str]]:
    """AddFromEnvFile: the file's KEY=VALUE pairs, in order."""
    _stat(path, directory_error="env config file cannot be a directory")
    pairs = []
    for n, raw in enumerate(Path(path).read_bytes().split(b"\n")):
        try:
            line = raw.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise CliError(f"error: env file {path} contains invalid utf8 bytes at line {n + 1}: "
                           f"[{' '.join(str(b) for b in raw)}]") from None
        line = (line[1:] if n == 0 and line.startswith(_BOM) else line).lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        errs = is_env_var_name(key)
        if errs:
            raise CliError(f'error: "{key}" is not a valid key name: {";".join(errs)}')
        pairs.append((key, value if sep else os.environ.get(key, "")))
    return pairs


def _stat(path: str, directory_error: str = "") -> bool:
    """True for a directory (an error when `directory_error` says so); kubectl's message when unreadable."""
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as e:
        raise CliError(f"error: error reading {path}: {(e.strerror or str(e)).lower()}") from None
    if is_dir and directory_error:
        raise CliError(f"error: {directory_error}")
    return is_dir


def _file_sources(sources: list[str], add: Callable[[str, bytes], None]) -> None:
    """handle*FromFileSources: each file, or each regular file of a directory, under its key."""
    for source in sources:
        key, path = parse_file_source(source)
        if not _stat(path):
            add(key, Path(path).read_bytes())
            continue
        if "=" in source:
            raise CliError("error: cannot give a key name for a directory path")
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False):
                add(entry.name, Path(entry.path).read_bytes())


def _check_sources(args: argparse.Namespace) -> None:
    if args.from_env_file and (args.from_file or args.from_literal):
        raise CliError("error: from-env-file cannot be combined with from-file or from-literal")


def new_config_map(name: str, files: list[str], literals: list[str], env_files: list[str]) -> core_pb2.ConfigMap:
    cm = core_pb2.ConfigMap(api_version="v1", kind="ConfigMap", metadata={"name": name})

    def check(key: str) -> None:  # validateNewConfigMap
        errs = is_config_map_key(key)
        if errs:
            raise CliError(f'error: "{key}" is not a valid key name for a ConfigMap: {",".join(errs)}')
        for field, label in (("data", "Data"), ("binary_data", "BinaryData")):
            if key in getattr(cm, field):
                raise CliError(f'error: cannot add key "{key}", another key by that name already exists in {label} '
                               f'for ConfigMap "{name}"')

    def add_text(key: str, value: str) -> None:
        check(key)
        cm.data[key] = value

    def add_file(key: str, content: bytes) -> None:
        try:
            add_text(key, content.decode("utf-8"))
        except UnicodeDecodeError:
            check(key)
            cm.binary_data[key] = content

    _file_sources(files, add_file)
    for source in literals:
        add_text(*parse_literal(source))
    for path in env_files:
        for key, value in _env_file_pairs(path):
            add_text(key, value)
    return cm


def new_secret(name: str, secret_type: str, files: list[str], literals: list[str],
               env_files: list[str]) -> core_pb2.Secret:
    secret = core_pb2.Secret(api_version="v1", kind="Secret", metadata={"name": name}, type=secret_type)

    def add(key: str, value: bytes) -> None:  # addKeyFromLiteralToSecret
        errs = is_config_map_key(key)
        if errs:
            raise CliError(f'error: "{key}" is not valid key name for a Secret {";".join(errs)}')
        if key in secret.data:
            raise CliError(f"error: cannot add key {key}, another key by that name already exists")
        secret.data[key] = value

    _file_sources(files, add)
    for source in literals:
        key, value = parse_literal(source)
        add(key, value.encode())
    for path in env_files:
        for key, value in _env_file_pairs(path):
            add(key, value.encode())
    return secret


async def _create(ctx: Session, obj, what: str) -> int:
    args = ctx.args
    if args.dry_run not in ("none", "client", "server"):
        raise CliError(f'error: Invalid dry-run value ({args.dry_run}). Must be "none", "server", or "client".')
    if args.dry_run != "client":
        try:
            obj = await ctx.client.create(obj, ctx.namespace, dry_run=args.dry_run == "server")
        except ApiError as e:
            raise CliError(f"error: failed to create {what}: {e.message}") from None
    elif getattr(args, "namespace", None):
        obj.metadata.namespace = args.namespace
    if args.output:
        ctx.out(render_objects([obj], args.output, single=True) if args.output != "name"
                else f"{what}/{obj.metadata.name}\n")
        return 0
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    ctx.out(f"{what}/{obj.metadata.name} created{suffix}\n")
    return 0


def _name(args: argparse.Namespace) -> str:
    if len(args.names) != 1:
        raise CliError(f"error: exactly one NAME is required, got {len(args.names)}")
    return args.names[0]


async def cmd_create_configmap(ctx: Session) -> int:
    args = ctx.args
    name = _name(args)
    _check_sources(args)
    return await _create(ctx, new_config_map(name, args.from_file, args.from_literal, args.from_env_file),
                         "configmap")


async def cmd_create_secret_generic(ctx: Session) -> int:
    args = ctx.args
    name = _name(args)
    _check_sources(args)
    secret = new_secret(name, args.type or "Opaque", args.from_file, args.from_literal, args.from_env_file)
    return await _create(ctx, secret, "secret")


def _source_flags(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--from-literal", action="append", default=[], metavar="KEY=VALUE",
                   help=f"a key and literal value to insert in the {what} (repeatable)")
    p.add_argument("--from-file", action="append", default=[], metavar="[KEY=]SOURCE",
                   help="a file (key: its base name, or KEY) or a directory (each regular file) (repeatable)")
    p.add_argument("--from-env-file", action="append", default=[], metavar="PATH",
                   help="a file of KEY=VALUE lines (repeatable)")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", metavar="none|client|server",
                   help="only print the object (client) or have the server check it (server)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="yaml, json or name")
    flags.namespace(p)


def register(subparsers: argparse._SubParsersAction) -> None:
    """`create -f`, and below it `create configmap|cm` and `create secret generic`."""
    create = subparsers.add_parser("create", help="create objects from manifests (like kubectl create -f), "
                                                  "or a configmap or secret")
    flags.files(create)
    flags.namespace(create)
    flags.dry_run(create)
    create.set_defaults(func=flags.verb(cmd_create))
    subs = create.add_subparsers(dest="create_what", metavar="KIND", required=False)
    p = subs.add_parser("configmap", aliases=["cm"],
                        help="create a config map from files, directories, env files or literal values")
    _source_flags(p, "configmap")
    p.set_defaults(func=flags.verb(cmd_create_configmap))
    secret = subs.add_parser("secret", help="create a secret (generic)")
    kinds = secret.add_subparsers(dest="secret_kind", metavar="TYPE", required=True)
    p = kinds.add_parser("generic", help="create a secret from files, directories, env files or literal values")
    _source_flags(p, "secret")
    p.add_argument("--type", metavar="TYPE", help="the secret's type (default Opaque)")
    p.set_defaults(func=flags.verb(cmd_create_secret_generic))
