"""One frozen dataclass of configuration per process, from flags, then environment, then defaults.

    @dataclass(frozen=True)
    class Config(ProcessConfig):
        workers: int = 5
        \"\"\"Reconciles of each controller that may run at once.\"\"\"

        def validate(self) -> list[FieldError]:
            errors = super().validate()
            if self.workers < 1:
                errors.append(fielderrors.invalid("--workers", self.workers, "must be at least 1"))
            return errors

`new_config` fills the dataclass from flags (`--field-name`), then the environment (`KUBELAB_FIELD_NAME`, or
the name in the field's `metadata={"env": ...}`), then the field default; each field's docstring is its
`--help` text. `validate()` checks the values before anything starts (k8s component-base's
`Options.Validate`); the process skeleton (kubelab.skeleton) calls it and exits with the errors in
Kubernetes' wording (`--max-endpoints-per-slice: Invalid value: 0: must be between 1 and 1000`).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import os
import re
import sys
import typing
from dataclasses import dataclass

from kubelab import fielderrors
from kubelab.fielderrors import FieldError

__all__ = ["BaseConfig", "new_config", "field_docs", "parse_duration", "flag", "LOG_LEVELS"]

LOG_LEVELS = ("debug", "info", "warning", "error")


def flag(name: str) -> str:
    """The flag of a config field: `max_endpoints_per_slice` -> `--max-endpoints-per-slice`."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class BaseConfig:
    """What every process is configured with, the API server included."""

    listen: str = "127.0.0.1:0"
    """HOST:PORT of this process's gRPC health (and reflection) service."""
    metrics_listen: str = ""
    """HOST:PORT serving Prometheus metrics at /metrics over HTTP; empty: no metrics server."""
    log_level: str = "info"
    """debug, info, warning or error."""
    shutdown_grace: float = 10.0
    """Seconds to let in-flight work finish on SIGTERM before cancelling it."""

    def validate(self) -> list[FieldError]:
        """What is wrong with the values, each error naming its flag; empty when nothing is."""
        errors: list[FieldError] = []
        if self.log_level.lower() not in LOG_LEVELS:
            errors.append(fielderrors.not_supported(flag("log_level"), self.log_level, LOG_LEVELS))
        if self.shutdown_grace < 0:
            errors.append(fielderrors.invalid(flag("shutdown_grace"), self.shutdown_grace, "must not be negative"))
        return errors


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds from `2.5` or a Go duration as Kubernetes flags take them (`15s`, `500ms`, `1m30s`)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (examples: 15s, 500ms, 1m, 2.5)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "t", "yes"):
        return True
    if text.lower() in ("0", "false", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {text!r} (true or false)")


def field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings (a string right after `name: type = default`) of cls and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(inspect.getsource(klass).strip())
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for stmt, nxt in zip(body, body[1:]):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs


def new_config(cls: type, argv: list[str] | None = None, environ: typing.Mapping[str, str] | None = None,
               prog: str | None = None, description: str | None = None):
    """An instance of the frozen dataclass `cls`: flags, else KUBELAB_* environment, else defaults."""
    environ = os.environ if environ is None else environ
    args = sys.argv[1:] if argv is None else argv
    # the texts come from parsing the classes' source: only for --help (5-8 ms of every start otherwise)
    asks_help = any(a in ("-h", "--help") or len(a) > 3 and "--help".startswith(a) for a in args)
    hints, docs = typing.get_type_hints(cls), field_docs(cls) if asks_help else {}
    p = argparse.ArgumentParser(prog=prog, description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        conv = {bool: _parse_bool, float: parse_duration, int: int}.get(typ, str)
        env = f.metadata.get("env", "KUBELAB_" + f.name.upper())
        try:
            default = conv(environ[env]) if env in environ else f.default
        except (ValueError, argparse.ArgumentTypeError) as e:
            p.error(f"environment {env}: {e}")
        kw = dict(nargs="?", const=True) if typ is bool else {}
        p.add_argument(flag(f.name), dest=f.name, type=conv, default=default,
                       help=f"{docs.get(f.name, '')} (env {env})", **kw)
    return cls(**vars(p.parse_args(args)))
