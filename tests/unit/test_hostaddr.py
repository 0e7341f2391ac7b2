"""Labels of the addresses a cluster puts on the host: named after the cluster, within Linux's 15 characters."""
import pytest

from kubelab import hostaddr
from kubelab.network import cluster_id


def test_label_carries_the_cluster_id():
    ident = cluster_id("/tmp/some-state-dir")
    assert hostaddr.label(ident) == f"lo:kl{ident}" and len(hostaddr.label(ident)) <= 15


def test_too_long_an_id_is_refused_with_the_limit():
    with pytest.raises(ValueError, match="at most 10 characters"):
        hostaddr.label("12345678901")

