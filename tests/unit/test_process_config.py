"""One frozen config per process, from flags, then environment, then defaults."""
import dataclasses
from dataclasses import dataclass

import pytest

from kubelab.config import field_docs, new_config, parse_duration
from kubelab.process import ProcessConfig


@dataclass(frozen=True)
class Config(ProcessConfig):
    workers: int = 5
    """Reconciles that may run at once."""
    resync: float = 30.0
    """Seconds between full resyncs."""


def test_defaults_follow_kubernetes():
    cfg = new_config(Config, [], environ={})
    assert (cfg.leader_elect_lease_duration, cfg.leader_elect_renew_deadline,
            cfg.leader_elect_retry_period) == (15.0, 10.0, 2.0)
    assert cfg.leader_elect_resource_namespace == "kube-system" and cfg.workers == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.workers = 1


def test_flags_override_environment_override_defaults():
    env = {"KUBELAB_APISERVER": "10.0.0.1:6443", "KUBELAB_WORKERS": "7", "KUBELAB_LEADER_ELECT": "true"}
    cfg = new_config(Config, ["--workers", "9", "--leader-elect-lease-duration", "3s",
                              "--leader-elect-retry-period=500ms"], environ=env)
    assert cfg.apiserver == "10.0.0.1:6443" and cfg.workers == 9 and cfg.leader_elect is True
    assert cfg.leader_elect_lease_duration == 3.0 and cfg.leader_elect_retry_period == 0.5


def test_bool_flags_as_kubernetes_writes_them():
    assert new_config(Config, ["--leader-elect"], environ={}).leader_elect is True
    assert new_config(Config, ["--leader-elect=false"], environ={"KUBELAB_LEADER_ELECT": "1"}).leader_elect is False


def test_durations():
    assert parse_duration("15s") == 15 and parse_duration("1m30s") == 90 and parse_duration("2.5") == 2.5
    assert parse_duration("250ms") == 0.25
    for bad in ["", "s", "15x", "1s2"]:
        with pytest.raises(Exception, match="invalid duration"):
            parse_duration(bad)


def test_help_comes_from_field_docstrings(capsys):
    docs = field_docs(Config)
    assert docs["workers"] == "Reconciles that may run at once."
    assert docs["apiserver"] == "HOST:PORT of the API server."
    with pytest.raises(SystemExit):
        new_config(Config, ["--help"], environ={}, prog="svc")
    out = capsys.readouterr().out
    assert "Reconciles that may run at once. (env KUBELAB_WORKERS)" in out
    assert "--leader-elect-renew-deadline" in out
