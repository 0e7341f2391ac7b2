"""The API server benchmark still runs: `python -m bench.apiserver --quick` prints every figure.

Speed targets are not asserted here (the figures depend on the machine); docs/benchmarks.md has them.
"""
import json
import subprocess
import sys

import pytest

from tests.support import ROOT

FIGURES = ["echo", "redis_hset", "redis_store", "create_1", "update_1", "list", "rss", "create_2", "update_2",
           "rss_loaded", "fanout", "watch_p50", "watch_p99", "watch_max", "watch_received", "watch_rate",
           "fanout_low", "watch_low_p50", "watch_low_p99", "watch_low_max", "watch_low_received", "watch_low_rate",
           "creates_workers_1", "updates_workers_1", "creates_workers_2", "updates_workers_2"]


def test_quick_benchmark_prints_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "bench.apiserver", "--quick", "--markdown", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["key"]: r for r in json.loads(out.read_text())["rows"]}
    assert sorted(rows) == sorted(FIGURES)
    for key, row in rows.items():
        assert row["value"], key
        assert row["figure"] in proc.stdout, key  # in the text table
        assert f"| {row['figure']} | {row['value']} |" in proc.stdout, key  # and in the markdown one
    for key in ("create_1", "update_1", "create_2", "update_2", "list", "rss", "watch_p99", "creates_workers_2"):
        assert rows[key]["baseline"] and rows[key]["ratio"] and rows[key]["target"], key
    assert "machine:" in proc.stdout and "Python" in proc.stdout
    # --workers 2: the connections spread over both processes, as the note counts them
    spread = json.loads(out.read_text())["raw"]["workers_2"]["connections"]
    assert len(spread) == 2 and sum(spread) == 16 and min(spread) > 0, spread


# a group of its own: the two runs share nothing, and together (85 s at -n 5) they were one worker's longest
@pytest.mark.xdist_group("tests/integration/test_bench_smoke.py::only-watch")
def test_only_watch_measures_each_message_budget_beside_one_bare_fanout(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "bench.apiserver", "--quick", "--only-watch", "0,4000",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["key"]: r for r in json.loads(out.read_text())["rows"]}
    watch = [f"watch{low}_budget{b}_{q}" for low in ("", "_low") for b in ("0", "4000")
             for q in ("p50", "p99", "max", "received", "rate")]
    assert sorted(rows) == sorted({"echo", "redis_hset", "redis_store", "fanout", "fanout_low", *watch})
    assert "--watch-message-budget 4000" in rows["watch_budget4000_p99"]["figure"]
    assert rows["watch_budget0_received"]["met"] == "yes" and rows["watch_budget4000_received"]["met"] == "yes"
