"""The kubelet's Attach: a container's main process, its output from the start and its stdin (what
`kubelab run -i` rides on), through the real kubelet and a real container."""
from __future__ import annotations

import textwrap

import grpc

from kubelab.api.v1 import kubelet_pb2, kubelet_pb2_grpc
from kubelab.cli.kubelet import kubelet_address
from tests.integration.kubelet.kubelet_support import container_state, wait_pod


def stdin_pod(name: str, script: str, once: bool = True) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: busybox
            stdin: true
            stdinOnce: {str(once).lower()}
            command: ["/bin/sh", "-c", {script!r}]
        """)


async def attach(client, pod, stdin: list[bytes] | None, from_start: bool = True):
    """(stdout, stderr, exit code) of one attach that sends `stdin` then closes it."""
    address = kubelet_address(await client.get("Node", pod.spec.node_name))
    start = kubelet_pb2.AttachStart(namespace="default", pod=pod.metadata.name, uid=pod.metadata.uid,
                                    container="c", stdin=stdin is not None, from_start=from_start)

    async def requests():
        yield kubelet_pb2.AttachRequest(start=start)
        for chunk in stdin or ():
            yield kubelet_pb2.AttachRequest(stdin=chunk)
        if stdin is not None:
            yield kubelet_pb2.AttachRequest(stdin_close=True)

    out, err, code = b"", b"", None
    async with grpc.aio.insecure_channel(address) as channel:
        async for resp in kubelet_pb2_grpc.KubeletStub(channel).Attach(requests()):
            kind = resp.WhichOneof("body")
            if kind == "stdout":
                out += resp.stdout
            elif kind == "stderr":
                err += resp.stderr
            else:
                code = resp.exit_code
    return out.decode(), err.decode(), code


async def test_stdin_reaches_the_main_process_and_the_exit_code_comes_back(node, client):
    await client.create_manifest(stdin_pod("reader", "echo ready; read line; echo got $line; echo bye >&2; "
                                           "exit 7"), "default")
    pod = await wait_pod(client, "reader", lambda p: container_state(p)[0] == "running")
    out, err, code = await attach(client, pod, [b"hel", b"lo\n"])
    assert (out, err, code) == ("ready\ngot hello\n", "bye\n", 7)
    pod = await wait_pod(client, "reader", lambda p: p.status.phase == "Failed")
    assert pod.status.container_statuses[0].state.terminated.exit_code == 7


async def test_stdin_once_gives_end_of_file_when_the_attach_closes_it(node, client):
    await client.create_manifest(stdin_pod("counter", "wc -l"), "default")
    pod = await wait_pod(client, "counter", lambda p: container_state(p)[0] == "running")
    out, _, code = await attach(client, pod, [b"a\nb\nc\n"])
    assert (out.strip(), code) == ("3", 0)


async def test_a_finished_container_gives_its_whole_output(node, client):
    await client.create_manifest(stdin_pod("quick", "echo one; echo two"), "default")
    pod = await wait_pod(client, "quick", lambda p: p.status.phase == "Succeeded")
    assert await attach(client, pod, None) == ("one\ntwo\n", "", 0)
