"""kubelab wait: `pod/web-0 condition met` once a condition, a JSONPath value, creation or deletion holds.

    --for=condition=Ready            status.conditions[type=Ready].status == True (case-insensitive)
    --for=condition=Ready=False      ... == False
    --for=jsonpath='{.status.phase}'=Running
    --for=jsonpath='{.status.readyReplicas}'      (the field exists)
    --for=delete                     the object is gone (or was never there)
    --for=create                     the object exists

Each object gets --timeout (default 30s); on timeout: `error: timed out waiting for the condition on pods/x`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from dataclasses import dataclass
from typing import Callable

from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.cli import flags
from kubelab.cli.cmd.apply import document_namespace, documents
from kubelab.cli.durations import parse_duration
from kubelab.cli.render import jsonpath
from kubelab.cli.render.output import object_dict
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import kind_prefix, parse_targets
from kubelab.errors import ApiError, is_gone, is_not_found

__all__ = ["register", "cmd_wait", "Condition", "parse_for", "wait_until"]


@dataclass(frozen=True)
class Condition:
    mode: str  # "condition", "jsonpath", "delete", "create"
    test: Callable[[dict], bool] | None = None


def _condition_test(name: str, value: str) -> Callable[[dict], bool]:
    def test(data: dict) -> bool:
        generation = data.get("metadata", {}).get("generation")
        for c in (data.get("status") or {}).get("conditions") or []:
            if str(c.get("type", "")).lower() != name.lower():
                continue
            observed = c.get("observedGeneration")
            if observed is not None and generation is not None and observed < generation:
                return False
            return str(c.get("status", "")).lower() == value.lower()
        return False
    return test


def _jsonpath_test(expr: str, value: str | None) -> Callable[[dict], bool]:
    def test(data: dict) -> bool:
        found = jsonpath.evaluate(data, expr)
        if value is None:
            return bool(found)
        return any(_text(v) == value for v in found)
    return test


def _text(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))


def parse_for(text: str) -> Condition:
    if text == "delete":
        return Condition("delete")
    if text == "create":
        return Condition("create")
    if text.startswith("condition="):
        name, _, value = text[len("condition="):].partition("=")
        if not name:
            raise CliError("error: --for condition=NAME requires a condition name")
        return Condition("condition", _condition_test(name, value or "True"))
    if text.startswith("jsonpath="):
        m = re.fullmatch(r"jsonpath=['\"]?\{(?P<expr>[^{}]*)\}['\"]?(?:=(?P<value>.*))?", text)
        if m is None:
            raise CliError(f"error: unrecognized JSONPath expression in --for={text}")
        return Condition("jsonpath", _jsonpath_test(m.group("expr"), m.group("value")))
    raise CliError(f"error: unrecognized condition: {text!r}")


async def _objects(ctx: Session) -> list[tuple[KindInfo, str, str]]:
    a = ctx.args
    if a.filename:
        return [(d.info, document_namespace(ctx, d), d.name) for d in documents(ctx, "wait") if not d.error]
    out = []
    for t in parse_targets(a.resources, "wait"):
        ns = "" if not t.info.namespaced or ctx.all_namespaces else ctx.namespace
        if t.names:
            out += [(t.info, ns, n) for n in t.names]
        elif a.selector or a.all:
            objs, _ = await ctx.client.list(t.info, ns, label_selector=a.selector or "")
            out += [(t.info, o.metadata.namespace, o.metadata.name) for o in objs]
            if not objs:
                raise CliError("error: no matching resources found")
        else:
            raise CliError("error: resource(s) were provided, but no name was specified")
    return out


def _met(cond: Condition, obj: Message | None) -> bool:
    if cond.mode == "delete":
        return obj is None
    if obj is None:
        return False
    return cond.mode == "create" or cond.test(object_dict(obj))


async def _wait_one(ctx: Session, info: KindInfo, ns: str, name: str, cond: Condition) -> bool:
    """True once the condition holds."""
    await wait_until(ctx.client, info, ns, name, lambda obj: _met(cond, obj))
    return True


async def wait_until(client, info: KindInfo | str, ns: str, name: str, met: Callable[[Message | None], bool]):
    """Watch one object until met(object, or None when it is gone) holds; returns that object (or None)."""
    while True:
        try:
            obj = await client.get(info, name, ns)
        except ApiError as e:
            if not is_not_found(e):
                raise
            obj = None
        if met(obj):
            return obj
        rv = obj.metadata.resource_version if obj is not None else ""
        try:
            async for ev in client.watch(info, ns, field_selector=f"metadata.name={name}", resource_version=rv):
                if ev.type == "BOOKMARK":
                    continue
                current = None if ev.type == "DELETED" else ev.object
                if met(current):
                    return current
        except ApiError as e:
            if not is_gone(e):
                raise


async def cmd_wait(ctx: Session) -> int:
    a = ctx.args
    cond = parse_for(a.for_)
    timeout = parse_duration(a.timeout)
    for info, ns, name in await _objects(ctx):
        if cond.mode != "create":
            try:
                await ctx.client.get(info, name, ns)
            except ApiError as e:
                if not is_not_found(e):
                    raise
                if cond.mode != "delete":  # kubectl ignores a missing object when waiting for its deletion
                    ctx.api_error(e)
                continue
        try:
            await asyncio.wait_for(_wait_one(ctx, info, ns, name, cond), timeout if timeout > 0 else None)
        except asyncio.TimeoutError:
            ctx.error(f"error: timed out waiting for the condition on {info.plural}/{name}")
            continue
        ctx.out(f"{kind_prefix(info)}/{name} condition met\n")
    return ctx.status()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("wait", help="wait for a condition, a value, or deletion of objects")
    p.add_argument("resources", nargs="*", metavar="KIND/NAME")
    flags.files(p)
    flags.namespace(p, all_namespaces=True)
    p.add_argument("--for", dest="for_", required=True, metavar="CONDITION",
                   help="condition=NAME[=VALUE], delete, create, or jsonpath='{.path}'[=VALUE]")
    flags.selector(p, "wait for the objects matching this selector")
    p.add_argument("--all", action="store_true", help="wait for every object of the kind")
    p.add_argument("--timeout", default="30s", metavar="DURATION", help="give up after this long (default 30s)")
    p.set_defaults(func=flags.verb(cmd_wait))
