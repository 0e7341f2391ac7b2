"""The container's side of the shim: what the forked child does before it becomes the command.

The shim (shim.py) forks; the child imports this module, and only the child, so that the long-lived
shim never loads ctypes, socket or json (about 2.5 MB of its memory, see docs/benchmarks.md). The child:

1. reads `<run-dir>/spec.json`;
2. joins the pod's network namespace (`netns` in the spec: all containers of a pod share it, so
   localhost is the pod), enters new mount and UTS namespaces;
3. builds the container's root: an overlay with the host's `/` as its read-only lower layer and a tmpfs
   upper layer (the container's writable layer, gone with the container), the host's other mounts
   (/proc, /dev, /sys, ...) bound in; where overlayfs is not available the container uses the host's
   root as it is;
4. bind-mounts each mount in the spec (volumes, /etc/hosts, /etc/resolv.conf, /.kubelab) at its target,
   read-only ones remounted read-only; sets the pod's hostname;
5. reports the root on the report pipe (`root <path>\n`, an empty path for the host's root), then
   becomes the command: its own process group, chrooted into the root, in its working directory, its
   output on the shim's pipes. The report pipe is close-on-exec: the shim reads it to its end, so an
   empty rest means the command runs; anything else is why it did not start.
"""
import ctypes
import json
import os
import signal
import socket

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


def run_child(spec_path, report_fd, out_w, err_w, in_r):
    """In the forked child: set up the container and exec its command; never returns."""
    try:
        with open(spec_path) as f:
            spec = json.load(f)
        root = set_up(spec)
        os.write(report_fd, b"root " + (root or "").encode() + b"\n")
        exec_command(spec, root, out_w, err_w, in_r)
    except BaseException as e:  # noqa: BLE001 - anything here means the container did not start
        os.write(report_fd, str(e).encode() or type(e).__name__.encode())
    os._exit(128)


def exec_command(spec, root, out_w, err_w, in_r):
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(in_r if in_r is not None else os.open("/dev/null", os.O_RDONLY), 0)
    os.setpgid(0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # the shim ignores them; exec keeps that
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
