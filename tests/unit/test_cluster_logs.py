"""Following logs with per-component prefixes."""

import io

from kubelab.cluster.logs import LogFollower


def test_prefixes_and_partial_lines(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("old line\n")
    out = io.StringIO()
    f = LogFollower(out)
    f.add("apiserver", a)  # from the current end: "old line" is not shown
    f.add("node-1", b)  # not there yet
    with open(a, "a") as fa:
        fa.write("one\ntw")
    b.write_text("hello\n")
    assert f.poll()
    assert out.getvalue() == "apiserver | one\nnode-1    | hello\n"
    with open(a, "a") as fa:
        fa.write("o\n")
    f.poll()
    assert out.getvalue().endswith("apiserver | two\n")
    assert not f.poll()


def test_colour_and_no_prefix(tmp_path):
    p = tmp_path / "x.log"
    p.write_text("a\n")
    out = io.StringIO()
    f = LogFollower(out, colour=True)
    f.add("x", p, offset=0)
    f.poll()
    assert out.getvalue().startswith("\x1b[") and out.getvalue().endswith("x | \x1b[0ma\n")
    plain = io.StringIO()
    g = LogFollower(plain, prefix=False)
    g.add("x", p, offset=0)
    g.poll()
    assert plain.getvalue() == "a\n"
