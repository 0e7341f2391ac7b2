"""`python -m tests.integration.scheduler.nodecli ARGS`: the kubelab command with the node verbs, whether
or not kubelab.cli.main lists node_cmds yet."""
import argparse
import sys

from kubelab.cli import main as cli
from kubelab.cli import node_cmds


def main(argv: list[str]) -> int:
    if node_cmds in cli.COMMAND_MODULES:
        return cli.main(argv)
    parser = argparse.ArgumentParser(prog="kubelab")
    cli.add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    node_cmds.add_commands(sub)
    cli._add_global_options_everywhere(sub)
    args = parser.parse_args(argv)
    cli.resolve_globals(args)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
