"""API errors in kubectl's words (kubectl/pkg/cmd/util/helpers.go: checkErr, StandardErrorMessage).

    Error from server (NotFound): pods "x" not found
    Error from server (BadRequest): error when creating "deploy.yaml": Deployment in version "v1" ...
    The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than ...
    The Deployment "web" is invalid: \\n* spec.a: ...\\n* spec.b: ...

An object from a manifest file that the server finds invalid is reported in the form kubectl gives it
when it aggregates errors (AddSourceToErr, then StandardErrorMessage), which names the file, the object
and every bad field:

    Error from server (Invalid): error when creating "deploy.yaml": Deployment.apps "web" is invalid: [...]
"""

from __future__ import annotations

import re

from kubelab.errors import ApiError, is_invalid, is_service_unavailable

__all__ = ["CliError", "format_api_error", "invalid_message", "source_prefix", "refused"]


class CliError(Exception):
    """An error that ends the command; str() is the exact text kubectl prints (e.g. `error: ...`).
    (kubelab.cli.session re-exports it: the verbs import it from there.)"""


def refused(server: str) -> str:
    """kubectl's words for a server nobody listens at (connect: connection refused)."""
    return f"The connection to the server {server} was refused - did you specify the right host or port?"

_INVALID = re.compile(r'^(?P<kind>[^\s"]+) "(?P<name>[^"]*)" is invalid: ')


def invalid_message(err: ApiError) -> str | None:
    """kubectl's text for an Invalid error (reason Invalid), None when it is not one."""
    if not is_invalid(err):
        return None
    m = _INVALID.match(err.message)
    if m is None:
        return err.message
    kind = m.group("kind").split(".", 1)[0]
    head = f'The {kind} "{m.group("name")}" is invalid'
    causes = [text if text.startswith(f"{field}:") or not field else f"{field}: {text}"
              for field, text in err.causes]
    if not causes:
        rest = err.message[m.end():]
        return f"{head}: {rest}" if rest else head
    if len(causes) == 1:
        return f"{head}: {causes[0]}"
    return f"{head}: \n" + "\n".join(f"* {c}" for c in causes)


def source_prefix(verb: str, source: str | None) -> str:
    """AddSourceToErr: `error when creating "deploy.yaml": `."""
    return f'error when {verb} "{source}": ' if source else ""


def format_api_error(err: ApiError, *, verb: str | None = None, source: str | None = None,
                     server: str | None = None) -> str:
    """One API error as kubectl prints it; verb and source name the manifest file it came from."""
    if is_service_unavailable(err) and server and not err.answered:
        return refused(server)
    invalid = invalid_message(err)
    if invalid is not None and not (verb and source):
        return invalid
    message = source_prefix(verb, source) + err.message if verb else err.message
    if err.reason:
        return f"Error from server ({err.reason}): {message}"
    return f"Error from server: {message}"
