"""The DNS benchmark still runs: `python -m bench.dns --quick` measures both servers (figures not asserted:
they depend on the machine; docs/benchmarks.md has them)."""
import json
import subprocess
import sys

from tests.support import ROOT


def test_quick_dns_benchmark_measures_kubelab_beside_the_echo(tmp_path):
    out = tmp_path / "dns.json"
    proc = subprocess.run([sys.executable, "-m", "bench.dns", "--quick", "--markdown", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"echo", "kubelab_a", "kubelab", "propagation"}
    for key in ("echo", "kubelab_a", "kubelab"):
        r = results[key]
        assert r["qps"] > 0 and r["answered"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0
    p = results["propagation"]
    assert p["samples"] == 10 and p["dns_p99_ms"] >= p["dns_p50_ms"] > 0 and p["watch_p50_ms"] > 0
    assert "| queries/s, the cluster mix (baseline: echo) |" in proc.stdout and "machine:" in proc.stdout
