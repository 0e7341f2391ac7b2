"""Mount targets resolve inside the container's root, even through absolute symlinks."""
import os

from services.kubelet.runtime.shim_setup import resolve_in_root


def test_absolute_symlinks_stay_inside_the_root(tmp_path):
    root = tmp_path / "rootfs"
    (root / "run").mkdir(parents=True)
    (root / "var").mkdir()
    os.symlink("/run", root / "var" / "run")         # as on Debian: /var/run -> /run
    os.symlink("../run", root / "var" / "rel")        # a relative link
    assert resolve_in_root(str(root), "/var/run/peers") == str(root / "run" / "peers")
    assert resolve_in_root(str(root), "/var/rel/x/y") == str(root / "run" / "x" / "y")
    assert resolve_in_root(str(root), "/../../etc") == str(root / "etc")


def test_the_mount_point_itself_is_not_followed(tmp_path):
    root = tmp_path / "rootfs"
    root.mkdir()
    os.symlink("/elsewhere", root / "data")
    assert resolve_in_root(str(root), "/data") == str(root / "data")


def test_link_loops_end(tmp_path):
    root = tmp_path / "rootfs"
    root.mkdir()
    os.symlink("/b", root / "a")
    os.symlink("/a", root / "b")
    try:
        resolve_in_root(str(root), "/a/x")
    except OSError as e:
        assert "too many levels" in str(e)
    else:
        raise AssertionError("a symlink loop must fail")
