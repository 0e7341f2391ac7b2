"""Running an object verb: one API client per command, kubectl's error reporting, exit statuses.

A verb is `async def verb(ctx: Session) -> int`. Errors that stop the whole command are raised
(`CliError` with kubectl's text, or `ApiError`); errors about one object are reported with
`ctx.error(...)` and the verb goes on, ending with exit status 1, as kubectl does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from kubelab import aiocompat
from kubelab.api.kinds import DEFAULT_NAMESPACE
from kubelab.cli.connect import wait_reachable
from kubelab.cli.errors import CliError, format_api_error
from kubelab.client import Client
from kubelab.errors import ApiError

__all__ = ["CliError", "Session", "run_verb", "DEFAULT_NAMESPACE"]

#: How long a command rides out an unreachable API server before it gives up.
CONNECT_DEADLINE = 5.0


@dataclass
class Session:
    args: argparse.Namespace
    client: Client
    failed: bool = field(default=False)

    @property
    def namespace(self) -> str:
        """The namespace to work in: -n, else default."""
        return getattr(self.args, "namespace", None) or DEFAULT_NAMESPACE

    @property
    def all_namespaces(self) -> bool:
        return bool(getattr(self.args, "all_namespaces", False))

    def out(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def note(self, text: str) -> None:
        """A message on stderr that is not a failure (`No resources found in default namespace.`)."""
        print(text, file=sys.stderr, flush=True)

    def error(self, text: str) -> None:
        """Report one failure on stderr and remember to exit 1."""
        self.failed = True
        print(text.rstrip("\n"), file=sys.stderr, flush=True)

    def api_error(self, err: ApiError, **context) -> None:
        self.error(format_api_error(err, **context))

    def status(self, code: int = 0) -> int:
        return 1 if self.failed else code


def run_verb(args: argparse.Namespace, verb: Callable[[Session], Awaitable[int]]) -> int:
    """Connect to args.server, run the verb, turn what it raises into kubectl's messages."""
    if not args.server:
        print('error: no cluster to talk to: start one with "kubelab up", or pass --server HOST:PORT',
              file=sys.stderr)
        return 1

    async def main() -> int:
        client = Client(args.server, retry_deadline=CONNECT_DEADLINE, max_backoff=0.5)
        try:
            await wait_reachable(client.channel, args.server, CONNECT_DEADLINE)
            return await verb(Session(args, client))
        finally:
            await client.close()

    try:
        aiocompat.install()  # Ctrl-C's cancellation is not lost in asyncio.wait_for (Python 3.11)
        return asyncio.run(main())
    except CliError as e:
        print(str(e).rstrip("\n"), file=sys.stderr)
        return 1
    except ApiError as e:
        print(format_api_error(e, server=args.server), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kubelab get ... | head`
        return 0
