"""The command line starts light (issue 19): `kubelab --help`, `kubelab ps`, `kubelab down` and the
failure verbs import no gRPC, and every verb of the table registers (its module adds a parser for exactly
the verbs the table gives it)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.cli import main as cli

ROOT = Path(__file__).resolve().parents[3]


def imported(*argv: str, state_dir: Path) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules `kubelab ARGV` imports (by -X importtime, in a fresh interpreter)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), KUBELAB_STATE_DIR=str(state_dir))
    env.pop("KUBELAB_SERVER", None)
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "kubelab.cli", *argv], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    names = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    return names, r


@pytest.mark.parametrize("argv", [["--help"], ["ps"], ["status", "-o", "json"], []])
def test_no_grpc(argv, tmp_path):
    names, r = imported(*argv, state_dir=tmp_path / "none")
    assert names, r.stderr
    assert not {n for n in names if n == "grpc" or n.startswith(("grpc.", "grpc_"))}, argv
    assert "kubelab.cluster.launcher" not in names


def _imports(statement: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    names = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert names, r.stderr
    return names


def test_get_of_a_table_over_http_imports_no_grpc_nor_protobuf():
    """`kubelab get pods` on the state dir's cluster: the verb's module and the server-side Table path."""
    names = _imports("import kubelab.cli.main, kubelab.cli.cmd.get, kubelab.cli.servertable")
    assert {"kubelab.cli.cmd.get", "kubelab.cli.servertable", "kubelab.api.kinds"} <= names
    assert not {n for n in names if n.startswith(("grpc", "google.protobuf", "kubelab.api.v1", "kubelab.client"))}


def test_get_over_grpc_imports_only_what_a_pod_table_needs():
    """`kubelab get`'s gRPC path with what it imports: a table needs no YAML or JSON output, no watch, and
    none of the storage rules the PV and claim columns use (each imported where it is used)."""
    names = _imports("import kubelab.cli.main, kubelab.cli.cmd.get, kubelab.cli.listing")
    assert "kubelab.cli.listing" in names and "kubelab.printers.tables" in names
    assert not names & {"yaml", "kubelab.manifest", "google.protobuf.json_format", "kubelab.storage.volume",
                        "kubelab.cli.render.watch", "kubelab.cli.render.output", "kubelab.cluster.launcher"}


@pytest.mark.parametrize("argv", [["down"], ["kill", "scheduler"], ["up", "--help"]])
def test_the_launcher_imports_no_grpc(argv, tmp_path):
    """`down` and the failure verbs make no API call (here there is no cluster at all); `up` imports the
    API client only once the API server is starting."""
    names, r = imported(*argv, state_dir=tmp_path / "none")
    assert "kubelab.cluster.launcher" in names, r.stderr
    assert not {n for n in names if n == "grpc" or n.startswith(("grpc.", "grpc_", "google.protobuf"))}, argv
    assert "yaml" not in names


def test_ps_on_a_live_cluster_imports_no_grpc(tmp_path):
    """With processes to ask (this test's own grpcio health server, recorded in a state dir), ps asks
    their health without importing grpc."""
    import grpc
    from concurrent import futures
    from grpc_health.v1 import health, health_pb2_grpc

    from kubelab.cluster import procs
    from kubelab.cluster.state import ProcessRecord, StateDir

    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, srv)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    try:
        servicer.set("", 1)
        sd = StateDir(tmp_path / "cluster")
        sd.create()
        state = sd.load()
        state.embedded_redis = False
        state.processes["scheduler"] = ProcessRecord(listen=f"127.0.0.1:{port}", pid=os.getpid(),
                                                     start_time=procs.start_time(os.getpid()))
        sd.save(state)
        names, r = imported("ps", state_dir=sd.root)
    finally:
        srv.stop(None)
    assert "SERVING" in r.stdout, r.stdout + r.stderr
    assert "grpc" not in names


def test_help_lists_the_table():
    out = subprocess.run([sys.executable, "-m", "kubelab.cli", "--help"], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60).stdout
    for verb in cli.VERBS:
        assert f"    {verb.name}" in out, verb.name


def test_static_help_is_the_full_parsers_help():
    """`kubelab --help` comes from the table's strings; it must read as the real parsers would print it."""
    assert cli._parser([]).format_help() == cli.build_parser().format_help()


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


@pytest.mark.parametrize("module", cli.verb_modules())
def test_each_module_registers_its_verbs(module):
    subs = _subparsers(cli._parser([module]))
    listed = {name for v in cli.VERBS if v.module == module for name in (v.name, *v.aliases)}
    assert set(subs.choices) == listed


@pytest.mark.parametrize("verb", [v.name for v in cli.VERBS])
def test_every_verb_parses_help(verb, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([verb, "--help"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: kubelab {verb} ")


def test_the_verb_is_found_after_global_options():
    assert cli.chosen_verb(["--state-dir", "get", "ps"])[0].name == "ps"
    assert cli.chosen_verb(["--server=h:1", "get", "pods"])[0].name == "get"
    assert cli.chosen_verb(["status"])[0].name == "ps"
    assert cli.chosen_verb(["--help"]) == (None, False)
    assert cli.chosen_verb(["gte", "pods"]) == (None, True)


def test_an_unknown_verb_is_reported_with_every_choice(capsys):
    with pytest.raises(SystemExit):
        cli.main(["gte", "pods"])
    err = capsys.readouterr().err
    assert "invalid choice: 'gte'" in err and "'get'" in err and "'chaos'" in err
