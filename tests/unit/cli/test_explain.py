"""kubelab explain reads field descriptions from the .proto files' comments: it must find them."""

from kubelab.cli.cmd.explain import PROTOS


def test_the_protos_are_found():
    assert (PROTOS / "core.proto").is_file(), PROTOS
