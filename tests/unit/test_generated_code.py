"""Generated code is regenerated, never edited: this fails when kubelab/api/v1 is stale."""
import filecmp
import tempfile
from pathlib import Path

from kubelab.api import gen


def test_generated_code_is_current():
    with tempfile.TemporaryDirectory() as tmp:
        fresh = gen.generate(Path(tmp))
        stale = [p.name for p in fresh if not filecmp.cmp(p, gen.OUT / p.name, shallow=False)]
        extra = sorted({p.name for p in gen.OUT.iterdir() if p.is_file()} - {p.name for p in fresh})
    assert not stale, f"regenerate with `python -m kubelab.api.gen`: stale {stale}"
    assert not extra, f"files in kubelab/api/v1 that generation does not produce: {extra}"


def test_registry_covers_every_object_in_the_oneof():
    from kubelab.api import KINDS
    from kubelab.api.v1 import apiserver_pb2
    oneof = {f.name for f in apiserver_pb2.Object.DESCRIPTOR.oneofs_by_name["object"].fields}
    assert oneof == {k.oneof_field for k in KINDS}
    for k in KINDS:
        field = apiserver_pb2.Object.DESCRIPTOR.fields_by_name[k.oneof_field]
        assert field.message_type is k.message.DESCRIPTOR, k.kind
