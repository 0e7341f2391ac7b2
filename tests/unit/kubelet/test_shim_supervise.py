"""The shim's supervising half: CRI framing of output, its JSON records, and the one poll loop."""
import json
import os
import select
import subprocess
import time

import pytest

from services.kubelet.runtime import shim_supervise
from services.kubelet.runtime.shim_supervise import (
    MAX_LINE, cri_records, exit_record, parse_report, supervise, to_json,
)

T = b"2024-01-02T03:04:05.000000000Z"


def test_full_lines_are_f_records_and_a_partial_line_waits():
    records, rest = cri_records(b"stdout", b"one\ntwo\nthr", T, final=False)
    assert records == T + b" stdout F one\n" + T + b" stdout F two\n"
    assert rest == b"thr"


def test_a_partial_line_is_logged_when_the_stream_ends():
    records, rest = cri_records(b"stderr", b"thr", T, final=True)
    assert (records, rest) == (T + b" stderr P thr\n", b"")
    assert cri_records(b"stderr", b"", T, final=True) == (b"", b"")


def test_long_lines_are_cut_as_a_readline_of_max_line_cut_them():
    exact = b"a" * (MAX_LINE - 1) + b"\n"  # a line that fits, newline included
    assert cri_records(b"stdout", exact, T, final=False) == (T + b" stdout F " + exact, b"")
    long = b"b" * MAX_LINE + b"\n"
    records, rest = cri_records(b"stdout", long + b"c", T, final=False)
    assert records == T + b" stdout P " + b"b" * MAX_LINE + b"\n" + T + b" stdout F \n"
    assert rest == b"c"
    records, rest = cri_records(b"stdout", b"d" * (2 * MAX_LINE + 3), T, final=False)
    assert records.count(b" stdout P ") == 2 and rest == b"ddd"


@pytest.mark.parametrize("doc", [
    {"pid": 12, "started_at": 1733500000.123456, "root": "/var/lib/x y/rootfs"},
    {"exit_code": 128, "reason": "StartError", "message": 'exec: "a\\b": \x01 not found\n\tü'},
    {"on": True, "off": False, "zero": 0.0},
])
def test_records_are_json(doc):
    assert json.loads(to_json(doc)) == doc


def test_the_child_report_says_whether_the_setup_ran_and_why_the_command_did_not_start():
    assert parse_report(b"root /r/rootfs\n") == (True, "/r/rootfs", "")
    assert parse_report(b"root \n") == (True, None, "")
    assert parse_report(b'root /r\nexec: "x": executable file not found') == (
        True, "/r", 'exec: "x": executable file not found')
    assert parse_report(b"mount overlay on /r: Permission denied") == (
        False, None, "mount overlay on /r: Permission denied")
    assert parse_report(b"") == (False, None, "the container's setup failed")


def test_exit_records():
    assert exit_record("", 3 << 8, 1.0, 2.0) == {"exit_code": 3, "signal": 0, "reason": "", "message": "",
                                                  "started_at": 1.0, "finished_at": 2.0}
    assert exit_record("", 9, 1.0, 2.0)["exit_code"] == 137  # killed by SIGKILL
    assert exit_record("no such file", 128 << 8, None, 2.0) == {
        "exit_code": 128, "signal": 0, "reason": "StartError", "message": "no such file", "finished_at": 2.0}


def _run(tmp_path, script, **popen):
    """supervise() over a shell command's two output pipes; (wait status, log text, seconds it took)."""
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    proc = subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                            start_new_session=True, **popen)
    os.close(out_w)
    os.close(err_w)
    log_fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    began = time.monotonic()
    try:
        status = supervise(proc.pid, {out_r: b"stdout", err_r: b"stderr"}, log_fd, str(tmp_path), select.poll())
    finally:
        os.close(log_fd)
        proc.returncode = 0  # reaped by supervise
    return status, (tmp_path / "log").read_text(), time.monotonic() - began


def test_both_streams_are_relayed_and_the_exit_status_returned(tmp_path):
    status, log, _ = _run(tmp_path, "echo out; echo err >&2; printf tail; exit 3")
    assert os.WEXITSTATUS(status) == 3
    lines = [line.split(" ", 1)[1] for line in log.splitlines()]
    assert sorted(lines) == ["stderr F err", "stdout F out", "stdout P tail"]


def test_output_left_after_the_exit_is_relayed_within_the_drain_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(shim_supervise, "DRAIN_SECONDS", 0.5)
    # a process of its own session keeps the pipes open after the command exits: its output still reaches
    # the log, and the loop stops waiting for the pipes' end at the bound
    script = ("setsid sh -c 'echo $$ > pid; echo late; exec sleep 30' & "
              "while [ ! -s pid ]; do sleep 0.01; done; echo first; exit 0")
    try:
        status, log, took = _run(tmp_path, script, cwd=tmp_path)
    finally:
        os.kill(int((tmp_path / "pid").read_text()), 9)
    assert os.WEXITSTATUS(status) == 0
    assert "stdout F first" in log and "stdout F late" in log
    assert 0.5 <= took < 5


def test_the_command_is_killed_when_its_run_directory_disappears(tmp_path, monkeypatch):
    monkeypatch.setattr(shim_supervise, "RUN_DIR_CHECK_SECONDS", 0.05)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    proc = subprocess.Popen(["sleep", "30"], stdout=out_w, start_new_session=True)
    os.close(out_w)
    log_fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    run_dir.rmdir()
    try:
        status = supervise(proc.pid, {out_r: b"stdout"}, log_fd, str(run_dir), select.poll())
    finally:
        os.close(log_fd)
        proc.returncode = 0
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9


def _pump(relay, until, timeout=5.0):
    """Run the relay's part of the poll loop until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the stdin relay did not get there in time"
        for fd, _ in relay.poller.poll(50):
            if relay.owns(fd):
                relay.handle(fd)


def _attach(fifo, data):
    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, data)
    os.close(fd)


@pytest.mark.parametrize("once", [True, False])
def test_stdin_flows_from_each_attach_and_once_closes_it_after_the_first(tmp_path, once):
    fifo = str(tmp_path / "stdin")
    os.mkfifo(fifo, 0o600)
    in_r, in_w = os.pipe()
    relay = shim_supervise.StdinRelay(fifo, in_w, once, select.poll())
    got = bytearray()

    def read_some():
        os.set_blocking(in_r, False)
        try:
            got.extend(os.read(in_r, 100))
        except BlockingIOError:
            pass
        return bytes(got)

    _attach(fifo, b"first\n")
    _pump(relay, lambda: read_some() == b"first\n")
    if once:
        _pump(relay, lambda: relay.in_w is None)
        assert os.read(in_r, 100) == b""  # end of file for the command
        with pytest.raises(OSError):  # no reader: a later attach is refused (ENXIO)
            _attach(fifo, b"second\n")
    else:
        _attach(fifo, b"second\n")
        _pump(relay, lambda: read_some() == b"first\nsecond\n")
        assert relay.in_w is not None
        relay.close()
    os.close(in_r)
