"""`kubelab get` over gRPC: fetching the objects a command names and printing them, every output and -w.

kubelab.cli.cmd.get sends the plain table of one kind through the API server's HTTP Table first
(kubelab.cli.servertable) and comes here for everything else. The JSON/YAML/name output and the watch are
imported when asked for: a table needs neither (issue 19)."""

from __future__ import annotations

import time

from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.cli.render import columns, table
from kubelab.cli.render.tabwriter import TabWriter, table_writer
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import Target, kind_prefix, list_namespace, multiple_types, parse_targets
from kubelab.errors import ApiError, is_not_found
from kubelab.printers.format import format_labels

__all__ = ["cmd_get", "fetch", "TablePrinter", "ENDPOINTS_DEPRECATED"]

ENDPOINTS_DEPRECATED = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


async def fetch(ctx: Session, target: Target, *, label_selector: str = "", field_selector: str = ""
                ) -> list[Message]:
    """The objects a target names (reporting the missing ones), or every one matching the selectors."""
    if target.info.kind == "Endpoints":  # the warning a v1.33+ API server sends and kubectl prints
        ctx.note(ENDPOINTS_DEPRECATED)
    ns = list_namespace(ctx, target.info)
    if target.names:
        if ctx.all_namespaces and target.info.namespaced:
            raise CliError("error: a resource cannot be retrieved by name across all namespaces")
        found = []
        for name in target.names:
            try:
                found.append(await ctx.client.get(target.info, name, ns))
                target.resource_version = found[-1].metadata.resource_version
            except ApiError as e:
                if not is_not_found(e):
                    raise
                ctx.api_error(e)
        return found
    objs, target.resource_version = await ctx.client.list(target.info, ns, label_selector=label_selector,
                                                          field_selector=field_selector)
    return sorted(objs, key=lambda o: (o.metadata.namespace, o.metadata.name))


class TablePrinter:
    """Rows of one kind through one tab writer, so that watch rows line up with the table."""

    def __init__(self, ctx: Session, info: KindInfo, *, show_kind: bool):
        a = ctx.args
        self.info, self.wide = info, a.output == "wide"
        self.with_ns = ctx.all_namespaces and info.namespaced
        self.prefix = kind_prefix(info) + "/" if show_kind else ""
        self.show_labels, self.no_headers = a.show_labels, a.no_headers
        self.label_keys = columns.label_columns(a.label_columns)
        self.writer: TabWriter = table_writer()
        self.header_done = False

    def lines(self, objs: list[Message]) -> str:
        now = time.time()
        rows = []
        if not self.header_done and not self.no_headers:
            head = table.header(self.info.kind, wide=self.wide, with_namespace=self.with_ns)
            rows.append(head + columns.label_headers(self.label_keys) + (["LABELS"] if self.show_labels else []))
        self.header_done = True
        for obj in objs:
            cells = table.row(obj, self.info.kind, now, wide=self.wide, with_namespace=self.with_ns,
                                 name_prefix=self.prefix)
            cells += columns.label_cells(obj, self.label_keys)
            rows.append(cells + ([format_labels(obj.metadata.labels)] if self.show_labels else []))
        return self.writer.format("".join("\t".join(r) + "\n" for r in rows))


async def cmd_get(ctx: Session) -> int:
    a = ctx.args
    targets = parse_targets(a.resources, "get")
    watching = a.watch or a.watch_only
    if watching and len(targets) > 1:
        raise CliError("error: you may only specify a single resource type")
    show_kind = multiple_types(a.resources)
    groups = [(t, await fetch(ctx, t, label_selector=a.selector or "", field_selector=a.field_selector or ""))
              for t in targets]
    if a.sort_by:
        groups = [(t, columns.sort_objects(found, a.sort_by)) for t, found in groups]
    printers_by_kind: dict[str, TablePrinter] = {}
    written = False
    if not a.watch_only:
        written = _print_groups(ctx, groups, printers_by_kind, show_kind=show_kind)
    if not written and not ctx.failed and not a.watch_only:
        namespaced = not ctx.all_namespaces and all(t.info.namespaced for t in targets)
        ctx.note(f"No resources found in {ctx.namespace} namespace." if namespaced else "No resources found")
    if watching and not ctx.failed:
        t = targets[0]
        printer = printers_by_kind.get(t.info.kind) or TablePrinter(ctx, t.info, show_kind=show_kind)
        from kubelab.cli.render.watch import watch_target
        await watch_target(ctx, t, printer)
    return ctx.status()


def _print_groups(ctx: Session, groups: list[tuple[Target, list[Message]]], printers_by_kind: dict,
                  *, show_kind: bool) -> bool:
    a = ctx.args
    objs = [o for _, found in groups for o in found]
    if a.output in ("json", "yaml") or a.output.startswith("jsonpath="):
        single = len(groups) == 1 and len(groups[0][0].names) == 1 and len(objs) == 1
        if not objs and len(groups) == 1 and len(groups[0][0].names) == 1:
            return False  # the one named object is missing: nothing but the error
        ctx.out(_render(objs, a.output, single=single))
        return True
    if a.output.startswith(columns.CUSTOM_COLUMNS):
        ctx.out(columns.custom_columns(objs, a.output[len(columns.CUSTOM_COLUMNS):], no_headers=a.no_headers))
        return bool(objs)
    if a.output == "name":
        ctx.out(_render(objs, "name", single=False))
        return bool(objs)
    first = True
    for target, found in groups:
        if not found:
            continue
        printer = TablePrinter(ctx, target.info, show_kind=show_kind)
        printers_by_kind[target.info.kind] = printer
        ctx.out(("" if first else "\n") + printer.lines(found))
        first = False
    return not first


def _render(objs: list[Message], how: str, *, single: bool) -> str:
    from kubelab.cli.render import output  # not for a table (issue 19: `kubelab get pods`)
    return output.render_objects(objs, how, single=single)
