"""pods/log and pods/exec: proxied to the kubelet of the pod's node over its gRPC service, as
kube-apiserver proxies them to the kubelet's HTTP server (pkg/registry/core/pod/rest/subresources.go).

log is plain text, chunked while it follows. exec speaks the WebSocket stream protocol
(v5.channel.k8s.io for kubectl 1.32, v4.channel.k8s.io for the Python client): one byte of channel then
the data; 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status, 4 resize, 255 close (v5). kubectl's
fallback to SPDY is refused with 403: kubelab speaks no SPDY.
"""
from __future__ import annotations

import json
import logging

import grpc
from aiohttp import WSMsgType, web

from kubelab import kubeletaddr
from kubelab.api import registry
from kubelab.api.v1 import kubelet_pb2, kubelet_pb2_grpc
from kubelab.errors import ApiError, from_rpc_error
from services.apiserver import errors
from services.apiserver.resources import Resources

__all__ = ["serve_log", "serve_exec", "PROTOCOLS"]

log = logging.getLogger(__name__)
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def _flag(query, name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _int(query, name: str) -> int | None:
    value = query.get(name)
    try:
        return None if value in (None, "") else int(value)
    except ValueError:
        raise errors.bad_request(f'{name}: Invalid value: "{value}": must be an integer') from None


async def _target(resources: Resources, namespace: str, name: str, container: str):
    """The pod, the container (the only one when none is named) and its kubelet's address."""
    pod = await resources.get(registry.by_kind("Pod"), namespace, name)
    names = [c.name for c in pod.spec.containers] + [c.name for c in pod.spec.init_containers]
    if not container:
        if len(pod.spec.containers) != 1:
            raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                     f"[{' '.join(c.name for c in pod.spec.containers)}]")
        container = pod.spec.containers[0].name
    elif container not in names:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    if not pod.spec.node_name:
        raise errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: '
                                 "ContainerCreating" if pod.status.phase == "Pending" else
                                 f"pod {name} does not have a host assigned")
    address = kubeletaddr.kubelet_address(await resources.get(registry.by_kind("Node"), "", pod.spec.node_name))
    if not address:
        raise errors.internal(f'node "{pod.spec.node_name}" does not report its kubelet\'s address')
    return pod, container, address


def _kubelet_error(e: grpc.RpcError, address: str) -> ApiError:
    if e.code() == grpc.StatusCode.UNAVAILABLE:  # the kubelet did not answer: no API error, a dial failure
        return errors.internal(f"error dialing backend: dial tcp {address}: connect: connection refused")
    return from_rpc_error(e)  # the kubelet's codes read as reasons: INVALID_ARGUMENT is BadRequest


async def serve_log(request: web.Request, resources: Resources, namespace: str, name: str) -> web.StreamResponse:
    q = request.query
    pod, container, address = await _target(resources, namespace, name, q.get("container", ""))
    req = kubelet_pb2.LogsRequest(namespace=namespace, pod=name, uid=pod.metadata.uid, container=container,
                                  follow=_flag(q, "follow"), previous=_flag(q, "previous"),
                                  timestamps=_flag(q, "timestamps"))
    for field, param in (("tail_lines", "tailLines"), ("since_seconds", "sinceSeconds")):
        if (value := _int(q, param)) is not None:
            setattr(req, field, value)
    limit = _int(q, "limitBytes")
    resp = None
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            async for chunk in kubelet_pb2_grpc.KubeletStub(channel).Logs(req):
                if resp is None:  # errors before the first chunk are still a Status
                    resp = await _text_stream(request)
                data = chunk.data if limit is None else chunk.data[:max(0, limit)]
                await resp.write(data)
                if limit is not None:
                    limit -= len(data)
                    if limit <= 0:
                        break
        except grpc.RpcError as e:
            if resp is None:
                raise _kubelet_error(e, address) from None
            log.info("log stream ended pod=%s/%s error=%r", namespace, name, e.details())
        except ConnectionError:
            pass  # the client went away
    resp = resp or await _text_stream(request)
    await resp.write_eof()
    return resp


async def _text_stream(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    return resp


def _exit_status(code: int, command: list[str]) -> dict:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(command)}], exit code {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


async def serve_exec(request: web.Request, resources: Resources, namespace: str, name: str):
    q = request.query
    command = q.getall("command", [])
    if not command:
        raise errors.bad_request("you must specify at least 1 command")
    pod, container, address = await _target(resources, namespace, name, q.get("container", ""))
    if pod.status.phase in ("Succeeded", "Failed"):
        raise errors.bad_request(f"cannot exec into a container in a completed pod; current phase is "
                                 f"{pod.status.phase}")
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    if not ws.can_prepare(request).ok:
        raise errors.forbidden("kubelab serves exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) "
                               "only, not SPDY")
    await ws.prepare(request)
    start = kubelet_pb2.ExecStart(namespace=namespace, pod=name, uid=pod.metadata.uid, container=container,
                                  command=command, stdin=_flag(q, "stdin"))
    try:
        status = await _run_exec(ws, start, address, ws.ws_protocol == PROTOCOLS[0])
        await ws.send_bytes(bytes([STATUS]) + json.dumps(status).encode())
    except ConnectionError:
        log.info("exec client went away pod=%s/%s", namespace, name)  # leaving the gRPC call ended it
    await ws.close()
    return ws


async def _requests(ws: web.WebSocketResponse, start, v5: bool):
    """The exec's start, then stdin from channel 0 until channel 0 closes (v5) or the socket does."""
    yield kubelet_pb2.ExecRequest(start=start)
    if not start.stdin:
        return
    async for msg in ws:
        if msg.type != WSMsgType.BINARY or not msg.data:
            continue
        channel, data = msg.data[0], msg.data[1:]
        if channel == STDIN and data:
            yield kubelet_pb2.ExecRequest(stdin=data)
        elif v5 and channel == CLOSE and data[:1] == bytes([STDIN]):
            break
    yield kubelet_pb2.ExecRequest(stdin_close=True)


async def _run_exec(ws: web.WebSocketResponse, start, address: str, v5: bool) -> dict:
    code = 0
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            async for resp in kubelet_pb2_grpc.KubeletStub(channel).Exec(_requests(ws, start, v5)):
                kind = resp.WhichOneof("body")
                if kind in ("stdout", "stderr"):
                    await ws.send_bytes(bytes([STDOUT if kind == "stdout" else STDERR]) + getattr(resp, kind))
                elif kind == "exit_code":
                    code = resp.exit_code
        except grpc.RpcError as e:
            err = _kubelet_error(e, address)
            return {"metadata": {}, "status": "Failure", "message": err.message, "reason": err.reason}
    return _exit_status(code, list(start.command))
