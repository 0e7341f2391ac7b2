"""The scheduler benchmark still runs: `python -m bench.scheduler --quick` binds every pod of both runs."""
import json
import subprocess
import sys

from tests.support import ROOT


def test_quick_scheduler_benchmark(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "bench.scheduler", "--quick", "--markdown", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["bare_bind_per_s"] > 0
    for run in ("plain", "volumes"):
        assert result[run]["bound"] == result[run]["pods"] == 300
        assert result[run]["pods_per_s"] > 0
    assert "| pods scheduled, no volumes |" in proc.stdout
