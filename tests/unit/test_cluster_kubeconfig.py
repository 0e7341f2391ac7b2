"""<state-dir>/kubeconfig: what kubectl and the Python client read (reference section 10)."""
import yaml

from kubelab.cluster.kubeconfig import kubeconfig, write_kubeconfig


def test_cluster_user_and_context_are_all_kubelab_over_plain_http(tmp_path):
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "127.0.0.1:41234")
    doc = yaml.safe_load(path.read_text())
    assert doc == kubeconfig("127.0.0.1:41234")
    assert doc["current-context"] == "kubelab"
    assert doc["clusters"] == [{"name": "kubelab", "cluster": {"server": "http://127.0.0.1:41234"}}]
    assert doc["users"] == [{"name": "kubelab", "user": {}}]
    assert doc["contexts"] == [{"name": "kubelab", "context": {"cluster": "kubelab", "user": "kubelab",
                                                              "namespace": "default"}}]
