"""An API server serving the HTTP API on a real Redis, a kubeconfig for it, and kubectl."""
import itertools

import pytest
import redis
import yaml

from kubelab.cluster.kubeconfig import kubeconfig
from tests.kubectl import Kubectl
from tests.support import ApiServerProcess, free_port

_db = itertools.count(11)


@pytest.fixture(scope="module")
def http_apiserver(redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + f"/{next(_db) % 16}"
    redis.Redis.from_url(url).flushdb()
    port = free_port()
    server = ApiServerProcess(url, "--history", "200", "--http-listen", f"127.0.0.1:{port}",
                              "--bookmark-interval", "1").start()
    server.http = f"127.0.0.1:{port}"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kubeconfig_file(http_apiserver, tmp_path_factory):
    path = tmp_path_factory.mktemp("kube") / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig(http_apiserver.http)))
    return str(path)


@pytest.fixture(scope="module")
def kubectl(kubeconfig_file, tmp_path_factory):
    return Kubectl(kubeconfig_file, str(tmp_path_factory.mktemp("home")))
