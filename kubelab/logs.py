"""Structured log lines: ``time=... level=... component=... msg="..." key=value``.

Every process calls ``setup(component)`` once; modules log with the standard library
and pass details as ``key=value`` pairs in the message.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time

_PAIR = re.compile(r"\s(?=[A-Za-z_][\w.-]*=)")


def split_message(msg: str) -> tuple[str, str]:
    """'watch ended kind=Pod reason=x' -> ('watch ended', 'kind=Pod reason=x')."""
    parts = _PAIR.split(msg, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (msg, "")


class KeyValueFormatter(logging.Formatter):
    def __init__(self, component: str, extra: str = ""):
        super().__init__()
        self.component = component + (" " + extra if extra else "")

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        head, rest = split_message(record.getMessage())
        text = f'time={ts} level={record.levelname.lower()} component={self.component} ' \
               f'logger={record.name} msg={json.dumps(head)}'
        if rest:
            text += " " + rest
        if record.exc_info:
            text += " exc=" + repr(self.formatException(record.exc_info))
        return text


def setup(component: str, level: str | None = None, extra: str = "") -> None:
    """`extra`: key=value pairs every line carries after the component (an API server worker's `worker=1`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(component, extra))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("KUBELAB_LOG_LEVEL", "INFO")).upper())
