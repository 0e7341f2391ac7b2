"""The long-lived half of the shim: the container's parent for as long as it runs.

It forks the child that sets the container up and becomes its command (shim_setup.py), records the run
(`state.json` once the command runs, `exit.json` when it ends) and, from one poll loop and no threads,
relays the command's stdout and stderr into the log in CRI format, feeds its stdin from the attach FIFO,
and kills it if the run directory disappears.

It imports only what a bare `python -I -S` has plus os, select, time and _signal (not `signal`, which
brings enum and functools), and writes its few JSON documents itself: each module costs every running
container its memory (docs/benchmarks.md, "Runtime shim memory").
"""
import os
import select
import time
import _signal

#: A line longer than this is logged in parts (`P` records), as a buffered readline(16384) cut it.
MAX_LINE = 16384
#: How long output left in the pipes is still relayed once the command has exited.
DRAIN_SECONDS = 5.0
#: How often the run directory is checked for.
RUN_DIR_CHECK_SECONDS = 2.0
READ_SIZE = 65536

_JSON_ESCAPES = {**{i: f"\\u{i:04x}" for i in range(32)}, ord('"'): '\\"', ord("\\"): "\\\\"}


def to_json(doc):
    """A flat dict of str, int, float and bool as JSON, without the json module (and the re it imports)."""
    return "{" + ", ".join(f"{_json_value(k)}: {_json_value(v)}" for k, v in doc.items()) + "}"


def _json_value(v):
    if isinstance(v, str):
        return '"' + v.translate(_JSON_ESCAPES) + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    raise TypeError(f"not a JSON scalar: {v!r}")


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(to_json(doc))
    os.replace(tmp, path)


def start_ticks(pid):
    """Field 22 of /proc/<pid>/stat: tells a process from a later one with the same pid."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return int(data[data.rindex(b")") + 2:].split()[19])


def timestamp(t):
    """RFC 3339 with nanoseconds, as CRI log lines have it."""
    secs = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{int((t - secs) * 1e9):09d}Z"


def cri_records(stream, data, stamp, final):
    """Output framed as CRI log records, `<stamp> <stream> F|P <line>`; returns (records, rest).

    Lines end at a newline (F) or, longer than MAX_LINE, are cut into parts (P); rest is a partial line
    waiting for more output, or with final (the stream ended) logged as a last P record."""
    records, start, prefix = [], 0, stamp + b" " + stream
    while True:
        nl = data.find(b"\n", start, start + MAX_LINE)
        if nl >= 0:
            records.append(prefix + b" F " + data[start:nl + 1])
            start = nl + 1
        elif len(data) - start >= MAX_LINE or (final and start < len(data)):
            part = data[start:start + MAX_LINE]
            records.append(prefix + b" P " + part + b"\n")
            start += len(part)
        else:
            return b"".join(records), data[start:]


def parse_report(data):
    """What the child said on its report pipe: (set up, root or None, why the command did not start)."""
    if not data.startswith(b"root "):
        return False, None, data.decode(errors="replace") or "the container's setup failed"
    root, _, failure = data[5:].partition(b"\n")
    return True, root.decode(errors="replace") or None, failure.decode(errors="replace")


class StdinRelay:
    """Each attacher's input, from the FIFO into the command's stdin pipe, without ever blocking the loop;
    with once, the command's stdin is closed when the first attacher closes the FIFO."""

    def __init__(self, fifo, in_w, once, poller):
        self.fifo, self.in_w, self.once, self.poller = fifo, in_w, once, poller
        os.set_blocking(in_w, False)
        self.reader, self.pending = None, b""
        self._open()

    def _open(self):
        # open without a writer: poll reports nothing until an attach opens it, then data, then POLLHUP
        self.reader = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.poller.register(self.reader, select.POLLIN)

    def _unregister(self, fd):
        try:
            self.poller.unregister(fd)
        except KeyError:
            pass  # not being watched at the moment

    def _close_reader(self):
        if self.reader is not None:
            self._unregister(self.reader)
            os.close(self.reader)
            self.reader = None

    def owns(self, fd):
        return fd == self.reader or fd == self.in_w

    def handle(self, fd):
        try:
            if fd == self.in_w:
                self._flush()
            else:
                self._read()
        except OSError:  # the command closed its stdin or is gone (EPIPE), or the run dir was removed
            self.close()

    def _read(self):
        try:
            data = os.read(self.reader, READ_SIZE)
        except BlockingIOError:
            return
        if data:
            self.pending = data
            self.poller.unregister(self.reader)  # read no more until the command has taken this
            self.poller.register(self.in_w, select.POLLOUT)
            self._flush()
            return
        self._close_reader()  # this attacher is done
        if self.once:
            self.close()
        else:
            self._open()

    def _flush(self):
        self.pending = self.pending[os.write(self.in_w, self.pending):]
        if not self.pending:
            self.poller.unregister(self.in_w)
            self.poller.register(self.reader, select.POLLIN)

    def close(self):
        self._close_reader()
        if self.in_w is not None:
            self._unregister(self.in_w)
            os.close(self.in_w)
            self.in_w, self.pending = None, b""


def supervise(pid, outputs, log_fd, run_dir, poller, stdin=None):
    """Relay the command's output until it has exited and its pipes are drained (at most DRAIN_SECONDS
    after the exit); kill its group when it exits or the run directory disappears. Returns its wait status.

    outputs maps each output pipe's read end to its stream name (b"stdout", b"stderr")."""
    pending = {fd: b"" for fd in outputs}
    for fd in outputs:
        poller.register(fd, select.POLLIN)
    pidfd = os.pidfd_open(pid)
    poller.register(pidfd, select.POLLIN)
    status, drain_until, next_check = None, None, time.monotonic() + RUN_DIR_CHECK_SECONDS
    while status is None or pending:
        now = time.monotonic()
        if status is None and now >= next_check:
            if not os.path.isdir(run_dir):
                _kill_group(pid)
            next_check = now + RUN_DIR_CHECK_SECONDS
        deadline = next_check if status is None else drain_until
        if deadline <= now and status is not None:
            break
        for fd, _ in poller.poll(max(0.0, deadline - now) * 1000):
            if fd in pending:
                _relay(fd, outputs[fd], pending, log_fd, poller)
            elif fd == pidfd:
                status = os.waitpid(pid, 0)[1]
                _kill_group(pid)  # processes left in its group, as when a container's PID 1 exits
                poller.unregister(pidfd)
                os.close(pidfd)
                if stdin is not None:
                    stdin.close()
                drain_until = time.monotonic() + DRAIN_SECONDS
            elif stdin is not None and stdin.owns(fd):
                stdin.handle(fd)
    return status


def _relay(fd, stream, pending, log_fd, poller):
    data = os.read(fd, READ_SIZE)
    final = not data
    records, pending[fd] = cri_records(stream, pending[fd] + data, timestamp(time.time()).encode(), final)
    if records:
        os.write(log_fd, records)
    if final:
        poller.unregister(fd)
        os.close(fd)
        del pending[fd]


def _kill_group(pgid):
    try:
        os.killpg(pgid, _signal.SIGKILL)
    except OSError:
        pass


def main(argv):
    """shim.py <run-dir>/spec.json <log path> [stdin|stdin-once]"""
    spec_path, log_path = os.path.abspath(argv[0]), argv[1]
    stdin_mode = argv[2] if len(argv) > 2 else ""
    run_dir = os.path.dirname(spec_path)
    exit_path, state_path = os.path.join(run_dir, "exit.json"), os.path.join(run_dir, "state.json")
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, _signal.SIG_IGN)
    report_r, report_w = os.pipe2(os.O_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    in_r, in_w = os.pipe2(os.O_CLOEXEC) if stdin_mode else (None, None)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(report_r)
            from shim_setup import run_child  # its imports (ctypes, socket, json) never reach the shim
            run_child(spec_path, report_w, out_w, err_w, in_r)
        except BaseException as e:  # noqa: BLE001 - the child must never return into the shim's code
            os.write(report_w, f"the container's setup failed: {e}".encode())
        finally:
            os._exit(128)
    for fd in (report_w, out_w, err_w) + ((in_r,) if in_r is not None else ()):
        os.close(fd)
    try:
        ticks = start_ticks(pid)
    except OSError:
        ticks = 0
    report = b""
    while chunk := os.read(report_r, READ_SIZE):  # to its end: the child's exec closes it
        report += chunk
    os.close(report_r)
    started_at = time.time()
    set_up, root, failure = parse_report(report)
    poller, stdin = select.poll(), None
    if not failure:
        if in_w is not None:  # the FIFO exists, held open, before state.json says the command runs
            fifo = os.path.join(run_dir, "stdin")
            os.mkfifo(fifo, 0o600)
            stdin = StdinRelay(fifo, in_w, stdin_mode == "stdin-once", poller)
        write_json(state_path, {"pid": pid, "start_ticks": ticks, "started_at": started_at,
                                "shim_pid": os.getpid(), "root": root or "/"})
    elif in_w is not None:
        os.close(in_w)
    if set_up:
        # the command's output waits in its pipes until the loop runs, so state.json comes before any log line
        log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        status = supervise(pid, {out_r: b"stdout", err_r: b"stderr"}, log_fd, run_dir, poller, stdin)
    else:  # nothing ran, nothing to log (no log file, as when the setup was the shim's)
        os.close(out_r)
        os.close(err_r)
        status = os.waitpid(pid, 0)[1]
    if os.path.isdir(run_dir):
        write_json(exit_path, exit_record(failure, status, started_at if set_up else None, time.time()))
    return 0


def exit_record(failure, status, started_at, finished_at):
    """exit.json: StartError with why, else the exit code (128 + the signal that killed the command);
    no start time when the container's setup failed."""
    if failure:
        doc = {"exit_code": 128, "signal": 0, "reason": "StartError", "message": failure}
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        doc = {"exit_code": 128 + sig, "signal": sig, "reason": "", "message": ""}
    else:
        doc = {"exit_code": os.WEXITSTATUS(status), "signal": 0, "reason": "", "message": ""}
    if started_at is not None:
        doc["started_at"] = started_at
    doc["finished_at"] = finished_at
    return doc
