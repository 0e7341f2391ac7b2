"""`get -w`: after the table, one row per change (kubectl prints the object's new state, deletions too).

The watch starts where the list ended (its resourceVersion) unless --watch-only; if that version
has been compacted away the watch starts again from a fresh list, printing nothing twice.
"""

from __future__ import annotations

from kubelab.cli.render import output
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import Target, list_namespace
from kubelab.errors import ApiError, is_gone

__all__ = ["watch_target"]


def _field_selector(ctx: Session, target: Target) -> str:
    parts = [ctx.args.field_selector] if ctx.args.field_selector else []
    if target.names:
        if len(target.names) > 1:
            raise CliError("error: watch is only supported on individual resources and resource collections, "
                           f"but {len(target.names)} resources were found")
        parts.append(f"metadata.name={target.names[0]}")
    return ",".join(parts)


async def watch_target(ctx: Session, target: Target, printer) -> None:
    a = ctx.args
    ns = list_namespace(ctx, target.info)
    selector, fields = a.selector or "", _field_selector(ctx, target)
    rv = target.resource_version
    first = True
    while True:
        try:
            async for ev in ctx.client.watch(target.info, ns, label_selector=selector, field_selector=fields,
                                             resource_version=rv):
                if ev.type == "BOOKMARK" or ev.object is None:
                    continue
                rv = ev.resource_version or rv
                _print_event(ctx, printer, ev.object, first)
                first = False
            return
        except ApiError as e:
            if not is_gone(e):
                raise
            _, rv = await ctx.client.list(target.info, ns, label_selector=selector, field_selector=fields)


def _print_event(ctx: Session, printer, obj, first: bool) -> None:
    fmt = ctx.args.output
    if fmt == "json":
        ctx.out(output.dumps_json(output.object_dict(obj)))
    elif fmt == "yaml":
        ctx.out(("" if first else "---\n") + output.dumps_yaml(output.object_dict(obj)))
    elif fmt == "name":
        ctx.out(output.object_name(obj) + "\n")
    elif fmt.startswith("jsonpath="):
        ctx.out(output.render_objects([obj], fmt, single=True))
    else:
        ctx.out(printer.lines([obj]))
