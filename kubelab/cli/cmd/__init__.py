"""One module per verb (kubectl's pkg/cmd/<verb>/): each exposes `register(subparsers)`, which adds the
parser of its verb (a few modules: of a family of verbs, e.g. kill/stop/start) and sets `func`.
kubelab.cli.main.VERBS names the module of every verb; nothing registers by being imported."""

import sys

__all__ = ["say"]


def say(line: str) -> None:
    """An event line on stderr (`event=up ...`), as the launcher writes them."""
    print(line, file=sys.stderr, flush=True)
