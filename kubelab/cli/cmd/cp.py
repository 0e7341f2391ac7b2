"""kubelab cp, as kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/cp/cp.go): tar through exec.

    kubelab cp POD:SRC DEST [-c C] [-n NS]      tar cf - SRC in the container, unpacked here
    kubelab cp SRC POD:DEST [-c C] [-n NS]      packed here, `tar xmf - -C DIR` in the container

As kubectl, the container needs a `tar`; its complaints (a missing file) are relayed on stderr.
"""

from __future__ import annotations

import argparse
import io
import os
import posixpath
import tarfile

import grpc

from kubelab.api.v1 import kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli import flags
from kubelab.cli.kubelet import pod_target, relay_output
from kubelab.cli.session import CliError, Session

__all__ = ["register", "cmd_cp", "split_spec", "CHUNK"]

CHUNK = 64 * 1024


def split_spec(spec: str) -> tuple[str, str]:
    """`[NS/]POD:PATH` -> (pod, path); a local path -> ("", path)."""
    pod, sep, path = spec.partition(":")
    if not sep or "/" in pod.split("/", 1)[-1] or not pod:
        return "", spec
    return pod, path


async def _exec(ctx: Session, pod_name: str, command: list[str], stdin: bytes | None) -> tuple[int, bytes]:
    a = ctx.args
    pod, container, address = await pod_target(ctx, pod_name, a.container, "cp")
    start = kubelet_pb2.ExecStart(namespace=pod.metadata.namespace, pod=pod.metadata.name, uid=pod.metadata.uid,
                                  container=container, command=command, stdin=stdin is not None)

    async def requests():
        yield kubelet_pb2.ExecRequest(start=start)
        if stdin is not None:
            for i in range(0, len(stdin), CHUNK):
                yield kubelet_pb2.ExecRequest(stdin=stdin[i:i + CHUNK])
            yield kubelet_pb2.ExecRequest(stdin_close=True)

    out = io.BytesIO()
    async with grpc.aio.insecure_channel(address) as channel:
        code = await relay_output(kubelet_pb2_grpc.KubeletStub(channel).Exec(requests()), address, stdout=out)
    return code, out.getvalue()


def _safe_members(tar: tarfile.TarFile, prefix: str):
    """Entries under the copied name only (kubectl refuses paths escaping the destination)."""
    for m in tar.getmembers():
        name = posixpath.normpath(m.name)
        if name.startswith("..") or name.startswith("/") or not (name == prefix or name.startswith(prefix + "/")):
            continue
        yield m


async def _from_pod(ctx: Session, pod: str, src: str, dest: str) -> int:
    src = src.rstrip("/") or "/"
    parent, base = posixpath.split(src)
    code, data = await _exec(ctx, pod, ["tar", "cf", "-", "-C", parent or "/", base], None)
    if code != 0 or not data:
        return 1
    target = os.path.join(dest, base) if os.path.isdir(dest) else dest
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in _safe_members(tar, base):
            rel = posixpath.relpath(posixpath.normpath(m.name), base)
            path = target if rel == "." else os.path.join(target, rel)
            if m.isdir():
                os.makedirs(path, exist_ok=True)
            elif m.isfile():
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with tar.extractfile(m) as f, open(path, "wb") as out:
                    out.write(f.read())
                os.chmod(path, m.mode & 0o777)
    return 0


async def _to_pod(ctx: Session, src: str, pod: str, dest: str) -> int:
    if not os.path.exists(src):
        raise CliError(f"error: {src} doesn't exist in local filesystem")
    dest = dest.rstrip("/") or "/"
    parent, base = posixpath.split(dest)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(src, arcname=base)
    code, _ = await _exec(ctx, pod, ["tar", "xmf", "-", "-C", parent or "/"], buf.getvalue())
    return 1 if code else 0


async def cmd_cp(ctx: Session) -> int:
    a = ctx.args
    (src_pod, src), (dest_pod, dest) = split_spec(a.src), split_spec(a.dest)
    if src_pod and dest_pod:
        raise CliError("error: one of src or dest must be a local file specification")
    if not src_pod and not dest_pod:
        raise CliError("error: one of src or dest must be a remote file specification")
    if not src or not dest:
        raise CliError("error: filepath can not be empty")
    if src_pod:
        return await _from_pod(ctx, src_pod, src, dest)
    return await _to_pod(ctx, src, dest_pod, dest)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cp", help="copy files to and from a container, through tar (like kubectl cp)")
    p.add_argument("src", metavar="SRC", help="a local path, or POD:PATH")
    p.add_argument("dest", metavar="DEST", help="a local path, or POD:PATH")
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    flags.namespace(p)
    p.set_defaults(func=flags.verb(cmd_cp))
