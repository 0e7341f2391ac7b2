"""A component's metrics (kubelab.metrics): the text format a scrape reads, and prometheus_client left
unimported until then (its package init costs every component about 25 ms of start-up, issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from kubelab.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]


def _sources():
    queue = SimpleNamespace(depth=1, adds=2, retries=3)

    class Informer:
        kind, namespace, label_selector, watch_restarts, relists = "Pod", "", "", 1, 2

        def __len__(self):
            return 4
    return SimpleNamespace(controllers=[SimpleNamespace(name="replicaset", queue=queue)],
                           informers=SimpleNamespace(informers=lambda: [Informer()]), elector=None,
                           events=SimpleNamespace(dropped=0))


def test_reconciles_are_exposed_as_controller_runtime_names_them():
    m = Metrics()
    m.add_runtime(_sources())
    for result, seconds in [("success", 0.003), ("success", 0.005), ("success", 0.0051), ("error", 0.7)]:
        m.observe_reconcile("replicaset", result, seconds)
    m.observe_reconcile("deployment", "requeue", 100)
    ctype, body = m.exposition()
    lines = set(body.decode().splitlines())
    assert ctype.startswith("text/plain")
    assert 'controller_runtime_reconcile_total{controller="replicaset",result="success"} 3.0' in lines
    assert 'controller_runtime_reconcile_total{controller="replicaset",result="error"} 1.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_bucket{controller="replicaset",le="0.005"} 2.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_bucket{controller="replicaset",le="0.01"} 3.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_bucket{controller="replicaset",le="+Inf"} 4.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_count{controller="replicaset"} 4.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_bucket{controller="deployment",le="60.0"} 0.0' in lines
    assert 'controller_runtime_reconcile_time_seconds_sum{controller="deployment"} 100.0' in lines
    assert 'workqueue_depth{name="replicaset"} 1.0' in lines
    assert 'kubelab_informer_objects{kind="Pod",namespace="",selector=""} 4.0' in lines


def test_collectors_registered_before_and_after_the_registry_exists():
    class One:
        def __init__(self, name):
            self.name = name

        def collect(self):
            from prometheus_client.core import GaugeMetricFamily
            g = GaugeMetricFamily(self.name, "a test gauge")
            g.add_metric([], 1)
            yield g
    m = Metrics()
    m.add_runtime(_sources())
    m.register(One("before_scrape"))
    assert "before_scrape 1.0" in m.exposition()[1].decode()
    m.register(One("after_scrape"))
    assert "after_scrape 1.0" in m.exposition()[1].decode()


def test_a_component_imports_no_prometheus_client_until_scraped():
    code = "import sys, kubelab.process; print('prometheus_client' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr
