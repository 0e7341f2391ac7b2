"""The API server's flags and environment, through kubelab.process.new_config like every component."""
from __future__ import annotations

import pytest

from services.apiserver.config import Config


def test_defaults():
    cfg = Config.from_args([], environ={})
    assert (cfg.listen, cfg.redis, cfg.history, cfg.watch_queue) == \
        ("127.0.0.1:6443", "redis://127.0.0.1:6379/0", 10000, 1000)
    assert (cfg.bookmark_interval, cfg.watch_batch_window, cfg.http_listen) == (60.0, 0.010, "")


def test_flags_as_the_launcher_passes_them():
    cfg = Config.from_args(["--listen", "127.0.0.1:7000", "--redis", "redis://h:1/0", "--service-cluster-ip-range",
                            "10.1.0.0/16", "--http-listen", "127.0.0.1:8080", "--history", "300",
                            "--watch-batch-window", "0", "--bookmark-interval", "1m"], environ={})
    assert (cfg.listen, cfg.redis, cfg.service_cluster_ip_range, cfg.http_listen, cfg.history) == \
        ("127.0.0.1:7000", "redis://h:1/0", "10.1.0.0/16", "127.0.0.1:8080", 300)
    assert (cfg.watch_batch_window, cfg.bookmark_interval) == (0.0, 60.0)


def test_environment_fallbacks():
    env = {"KUBELAB_REDIS_URL": "redis://r:2/0", "KUBELAB_HISTORY": "300", "KUBELAB_LISTEN": "127.0.0.1:1",
           "KUBELAB_LOG_LEVEL": "debug", "KUBELAB_HTTP_LISTEN": "127.0.0.1:2"}
    cfg = Config.from_args([], environ=env)
    assert (cfg.redis, cfg.history, cfg.listen, cfg.log_level, cfg.http_listen) == \
        ("redis://r:2/0", 300, "127.0.0.1:1", "debug", "127.0.0.1:2")
    assert Config.from_args(["--history", "5"], environ=env).history == 5


def test_bad_environment_names_the_variable(capsys):
    with pytest.raises(SystemExit):
        Config.from_args([], environ={"KUBELAB_HISTORY": "many"})
    assert "KUBELAB_HISTORY" in capsys.readouterr().err
