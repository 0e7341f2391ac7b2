"""kubelab's layers (.importlinter, import-linter): no service imports another, the library imports no service,
only the API server imports redis, nothing but the CLI imports the CLI, and no import cycles. The contracts'
allow-lists hold only what is still needed."""
from __future__ import annotations

import subprocess
import sys

import grimp
import pytest
from importlinter.api import read_configuration

from tests.support import ROOT

CONFIG = ROOT / ".importlinter"
CACHE = ROOT / ".import_linter_cache"


@pytest.fixture(scope="module")
def contracts() -> dict[str, dict]:
    return {c["id"]: c for c in read_configuration(str(CONFIG))["contracts_options"]}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("kubelab", "services", include_external_packages=True, cache_dir=str(CACHE))


def test_the_contracts_are_kept():
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         f"sys.exit(lint_imports({str(CONFIG)!r}, cache_dir={str(CACHE)!r}, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def _allowed(contract: dict) -> list[tuple[str, str]]:
    return [tuple(part.strip() for part in entry.split("->")) for entry in contract.get("ignore_imports", [])]


def test_each_allowed_cycle_is_still_a_cycle(contracts, graph):
    """An entry of the acyclic contract's allow-list must still close a cycle: once the import is gone or
    the way back is, the entry goes (or it would hide the next cycle through the same import)."""
    stale = [f"{a} -> {b}" for a, b in _allowed(contracts["acyclic"])
             if not (graph.direct_import_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a))]
    assert not stale, f"no longer a cycle; remove from .importlinter's acyclic allow-list: {stale}"


def test_each_allowed_import_of_the_cli_still_exists(contracts, graph):
    stale = [f"{a} -> {b}" for a, b in _allowed(contracts["cli-on-top"])
             if not graph.direct_import_exists(importer=a, imported=b)]
    assert not stale, f"gone; remove from .importlinter's cli-on-top allow-list: {stale}"


def test_every_service_is_covered(graph):
    """services.* in the contracts means every package below services/: a service is a package."""
    dirs = {p.name for p in (ROOT / "services").iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert {f"services.{d}" for d in dirs} <= graph.find_children("services")
