"""The `kubelab` parser: command groups, global options on every subcommand, resolution of defaults."""

import argparse

import pytest

from kubelab.cli import main as cli


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_cluster_verbs_are_there():
    names = set(_subparsers(cli.build_parser()))
    assert {"up", "down", "ps", "status", "component-logs", "clogs", "kill", "stop", "start", "restart",
            "pause", "resume", "partition", "heal"} <= names


def test_every_subcommand_takes_the_global_options():
    for name, parser in _subparsers(cli.build_parser()).items():
        flags = {s for a in parser._actions for s in a.option_strings}
        assert {"--state-dir", "--server"} <= flags, name


@pytest.mark.parametrize("argv", [
    ["--state-dir", "/tmp/a", "--server", "h:1", "kill", "node-2"],
    ["kill", "node-2", "--state-dir", "/tmp/a", "--server", "h:1"],
    ["--state-dir", "/tmp/a", "kill", "--server", "h:1", "node-2"],
])
def test_global_options_before_or_after_the_verb(argv):
    args = cli.build_parser().parse_args(argv)
    cli.resolve_globals(args)
    assert (str(args.state_dir), args.server, args.name) == ("/tmp/a", "h:1", "node-2")


def test_server_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBELAB_SERVER", raising=False)
    args = cli.build_parser().parse_args(["--state-dir", str(tmp_path), "ps"])
    cli.resolve_globals(args)
    assert args.server is None
    monkeypatch.setenv("KUBELAB_SERVER", "env:2")
    cli.resolve_globals(args)
    assert args.server == "env:2"


def test_a_verb_on_no_cluster_fails_cleanly(tmp_path, capsys):
    assert cli.main(["--state-dir", str(tmp_path / "none"), "kill", "scheduler"]) == 1
    assert "no cluster in" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
