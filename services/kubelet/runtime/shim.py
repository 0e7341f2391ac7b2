"""The container shim: one small process per container run (what containerd-shim is to containerd).

    python -I -S shim.py <run-dir>/spec.json   (standard library only; run as a script, without site: the
                                              .pth files of site-packages cost every container ~4 MB)

It joins the pod's network namespace (`netns` in the spec: all containers of a pod share it, so
localhost is the pod), enters new mount and UTS namespaces, builds the container's root, starts the command and stays
its parent, so the kubelet may die and come back while the container runs on:

1. root: an overlay with the host's `/` as its read-only lower layer and a tmpfs upper layer (the
   container's writable layer, gone with the container), the host's other mounts (/proc, /dev, /sys,
   ...) bound in; where overlayfs is not available the container uses the host's root as it is;
2. each mount in the spec (volumes, /etc/hosts, /etc/resolv.conf, /.kubelab) bind-mounted at its
   target, read-only ones remounted read-only; the pod's hostname;
3. the command, in its own process group, chrooted into the root, in its working directory;
4. the command's stdout and stderr appended to the log file in CRI format
   (`2024-01-02T03:04:05.123456789Z stdout F <line>`, as Kubernetes keeps /var/log/pods);
5. `state.json` (pid and start ticks) once the command runs; `exit.json` (exit code, signal, reason,
   time) when it ends; processes left in its group are killed then, as when a container's PID 1 exits.
6. with `stdin` in the spec (the container's `stdin: true`), the command's stdin is a pipe fed from the
   FIFO `<run-dir>/stdin`, which an attach (the kubelet's Attach) opens for writing; with `stdin_once`
   the command sees end-of-file when the first attach closes it, as containerd-shim does. Without
   `stdin` the command reads /dev/null.

A command that cannot start ends with exit code 128 and reason StartError (as containerd reports it).
If the run directory disappears (the node's state dir purged), the container is killed.
"""
import ctypes
import json
import os
import signal
import socket
import sys
import threading
import time

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWNET = 0x00020000, 0x04000000, 0x40000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if isinstance(s, str) else s)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def start_ticks(pid):
    """Field 22 of /proc/<pid>/stat: tells a process from a later one with the same pid."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return int(data[data.rindex(b")") + 2:].split()[19])


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def _unescape(field):
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def host_submounts(exclude):
    """Top-level mount points of the host other than `/` (each bound in recursively)."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = _unescape(line.split()[4])
            if point != "/" and not any(point == e or point.startswith(e + "/") for e in exclude):
                points.append(point)
    points = sorted(set(points))
    return [p for p in points if not any(p.startswith(q + "/") for q in points if q != p)]


def build_root(spec):
    """The overlay root; returns its path, or None to run on the host's root."""
    rootfs, scratch = spec["rootfs"], spec["scratch"]
    os.makedirs(rootfs, exist_ok=True)
    os.makedirs(scratch, exist_ok=True)
    try:
        mount("tmpfs", scratch, "tmpfs", 0, "mode=0755")
        for d in ("upper", "work"):
            os.mkdir(os.path.join(scratch, d))
        mount("overlay", rootfs, "overlay", 0,
              f"lowerdir=/,upperdir={scratch}/upper,workdir={scratch}/work")
    except OSError:
        return None
    for point in host_submounts([rootfs, scratch]):
        target = rootfs + point
        try:
            if os.path.isdir(point) and not os.path.islink(target):
                os.makedirs(target, exist_ok=True)
            mount(point, target, None, MS_BIND | MS_REC)
        except OSError:
            pass  # a mount we cannot see into (or a file over a dangling link): the lower layer shows
    return rootfs


def resolve_in_root(root, path):
    """path inside root, its directories' symlinks followed as the container would see them:
    an absolute link (/var/run -> /run) stays inside root instead of reaching the host's."""
    parts, cur, hops = [p for p in path.split("/") if p], root, 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            cur = os.path.dirname(cur) if cur != root else root
            continue
        nxt = os.path.join(cur, part)
        if parts and os.path.islink(nxt):  # the last component is the mount point itself
            hops += 1
            if hops > 40:
                raise OSError(f"too many levels of symbolic links: {path}")
            link = os.readlink(nxt)
            parts = [p for p in link.split("/") if p and p != "."] + parts
            if link.startswith("/"):
                cur = root
            continue
        cur = nxt
    return cur


def bind(source, target, read_only, own_root):
    if own_root and os.path.islink(target):
        os.unlink(target)  # only ever in the container's own writable layer
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def join_netns(path):
    """Before the mount namespace is unshared: /run/netns is the host's view."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc.setns(fd, CLONE_NEWNET), f"setns {path}")
    finally:
        os.close(fd)


def set_up(spec):
    if spec.get("netns"):
        join_netns(spec["netns"])
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = build_root(spec)
    for m in sorted(spec["mounts"], key=lambda m: m["target"].rstrip("/").count("/")):
        target = resolve_in_root(root, m["target"]) if root else m["target"]
        bind(m["source"], target, m.get("read_only", False), root is not None)
    socket.sethostname(spec["hostname"])
    return root


def run_child(spec, root, errw, out_w, err_w, in_r):
    """In the forked child: become the container's process; on failure report why through errw."""
    try:
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(in_r if in_r is not None else os.open("/dev/null", os.O_RDONLY), 0)
        os.setpgid(0, 0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        if root:
            os.chroot(root)
        wd = spec.get("working_dir") or "/"
        os.makedirs(wd, exist_ok=True)
        os.chdir(wd)
        argv, env = spec["argv"], spec["env"]
        try:
            os.execvpe(argv[0], argv, env)
        except FileNotFoundError:
            raise OSError(f'exec: "{argv[0]}": executable file not found in $PATH') from None
    except BaseException as e:  # noqa: BLE001 - anything here means the container did not start
        os.write(errw, str(e).encode() or type(e).__name__.encode())
    os._exit(128)


def timestamp(t):
    """RFC 3339 with nanoseconds, as CRI log lines have it."""
    secs = int(t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{int((t - secs) * 1e9):09d}Z"


def relay(fd, stream, log, lock):
    """Copy one output stream into the log file in CRI format: `<time> <stream> <F|P> <line>`."""
    with os.fdopen(fd, "rb", buffering=65536) as pipe:
        while True:
            line = pipe.readline(16384)
            if not line:
                return
            full = line.endswith(b"\n")
            record = f"{timestamp(time.time())} {stream} {'F' if full else 'P'} ".encode() + line
            if not full:
                record += b"\n"
            with lock:
                log.write(record)
                log.flush()


def open_stdin(spec, run_dir):
    """The read end of the command's stdin pipe, fed from the attach FIFO; None without stdin."""
    if not spec.get("stdin"):
        return None
    fifo = os.path.join(run_dir, "stdin")
    os.mkfifo(fifo, 0o600)
    in_r, in_w = os.pipe2(os.O_CLOEXEC)
    threading.Thread(target=relay_stdin, args=(fifo, in_w, bool(spec.get("stdin_once"))), daemon=True).start()
    return in_r


def relay_stdin(fifo, in_w, once):
    """Copy each attacher's input into the command's stdin; with once, close it after the first."""
    try:
        while True:
            with open(fifo, "rb", buffering=0) as attached:  # blocks until an attach opens it for writing
                while data := attached.read(65536):
                    os.write(in_w, data)
            if once:
                return
    except OSError:
        return  # the command is gone (EPIPE) or the run directory was removed
    finally:
        if once:
            os.close(in_w)


def watch_run_dir(path, pgid, stop):
    while not stop.wait(2.0):
        if not os.path.isdir(path):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
            return


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    run_dir = os.path.dirname(os.path.abspath(spec_path))
    exit_path, state_path = os.path.join(run_dir, "exit.json"), os.path.join(run_dir, "state.json")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    try:
        root = set_up(spec)
    except OSError as e:
        write_json(exit_path, {"exit_code": 128, "signal": 0, "reason": "StartError", "message": str(e),
                               "finished_at": time.time()})
        return 0
    errr, errw = os.pipe2(os.O_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    in_r = open_stdin(spec, run_dir)
    pid = os.fork()
    if pid == 0:
        os.close(errr)
        run_child(spec, root, errw, out_w, err_w, in_r)
    for fd in (errw, out_w, err_w) + ((in_r,) if in_r is not None else ()):
        os.close(fd)
    started_at = time.time()
    try:
        ticks = start_ticks(pid)
    except OSError:
        ticks = 0
    failure = os.read(errr, 65536).decode(errors="replace")
    os.close(errr)
    if not failure:
        write_json(state_path, {"pid": pid, "start_ticks": ticks, "started_at": started_at,
                                "shim_pid": os.getpid(), "root": root or "/"})
    # the command's output waits in its pipes until the relays run, so state.json comes before any log line
    log = open(spec["log_path"], "ab", buffering=0)
    lock = threading.Lock()
    relays = [threading.Thread(target=relay, args=(fd, name, log, lock), daemon=True)
              for fd, name in ((out_r, "stdout"), (err_r, "stderr"))]
    for t in relays:
        t.start()
    stop = threading.Event()
    threading.Thread(target=watch_run_dir, args=(run_dir, pid, stop), daemon=True).start()
    _, status = os.waitpid(pid, 0)
    stop.set()
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for t in relays:
        t.join(5.0)
    if failure:
        doc = {"exit_code": 128, "signal": 0, "reason": "StartError", "message": failure}
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        doc = {"exit_code": 128 + sig, "signal": sig, "reason": "", "message": ""}
    else:
        doc = {"exit_code": os.WEXITSTATUS(status), "signal": 0, "reason": "", "message": ""}
    doc.update(started_at=started_at, finished_at=time.time())
    if os.path.isdir(run_dir):
        write_json(exit_path, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
