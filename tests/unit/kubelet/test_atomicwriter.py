"""The atomic writer's layout on a real directory: timestamped data directory, `..data` symlink, one symlink
per top-level name, modes, no write when nothing changed, names removed when gone."""
import os

from services.kubelet.atomicwriter import DATA_DIR, FileProjection, write_payload


def layout(target):
    return sorted(os.listdir(target))


def test_first_write_builds_the_kubelets_layout(tmp_path):
    target = tmp_path / "vol"
    assert write_payload(target, {"app.conf": FileProjection(b"a=1", 0o644),
                                  "certs/tls.crt": FileProjection(b"cert", 0o600)})
    names = layout(target)
    ts = [n for n in names if n.startswith("..2")]
    assert len(ts) == 1 and names == sorted([DATA_DIR, ts[0], "app.conf", "certs"])
    assert os.readlink(target / DATA_DIR) == ts[0]
    assert os.readlink(target / "app.conf") == "..data/app.conf"
    assert (target / "certs" / "tls.crt").read_bytes() == b"cert"
    assert (target / "certs" / "tls.crt").stat().st_mode & 0o777 == 0o600
    assert (target / "app.conf").stat().st_mode & 0o777 == 0o644


def test_an_unchanged_payload_writes_nothing_and_a_change_swaps_the_data_dir(tmp_path):
    target = tmp_path / "vol"
    payload = {"a": FileProjection(b"1", 0o644), "b": FileProjection(b"2", 0o644)}
    write_payload(target, payload)
    first = os.readlink(target / DATA_DIR)
    assert not write_payload(target, payload)
    assert write_payload(target, {"a": FileProjection(b"changed", 0o644)})
    second = os.readlink(target / DATA_DIR)
    assert second != first and not (target / first).exists()
    assert (target / "a").read_bytes() == b"changed" and not os.path.lexists(target / "b")
    assert write_payload(target, {"a": FileProjection(b"changed", 0o400)})  # a mode change is a change


def test_paths_that_escape_are_refused(tmp_path):
    import pytest
    from services.kubelet.atomicwriter import PayloadError
    for bad in ("/etc/passwd", "../x", "..data/x", "a/../../x"):
        with pytest.raises(PayloadError):
            write_payload(tmp_path / "vol", {bad: FileProjection(b"", 0o644)})
