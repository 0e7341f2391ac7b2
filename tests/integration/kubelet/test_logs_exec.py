"""`kubelab logs` and `kubelab exec` through the CLI, the API server and the node's kubelet."""
from __future__ import annotations

import textwrap

from tests.integration.kubelet.kubelet_support import container_state, run_cli, wait_for, wait_pod


def two_containers(name: str, policy: str = "Always") -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          nodeName: node-1
          restartPolicy: {policy}
          terminationGracePeriodSeconds: 1
          containers:
          - name: app
            image: busybox
            env: [{{name: GREETING, value: hello}}]
            command: ["/bin/sh", "-c", "echo $GREETING from app; echo oops >&2; sleep 1000"]
            volumeMounts: [{{name: data, mountPath: /data}}]
          - name: side
            image: busybox
            command: ["/bin/sh", "-c", "for i in 1 2 3 4 5; do echo side $i; done; sleep 1000"]
          volumes:
          - {{name: data, emptyDir: {{}}}}
        """)


async def cli(apiserver, *args, stdin=None):
    return await run_cli(apiserver.address, *args, stdin=stdin)


async def test_logs_of_each_container(node, client, apiserver):
    await client.create_manifest(two_containers("chatty"), "default")
    await wait_pod(client, "chatty", lambda p: p.status.phase == "Running")
    # stdout and stderr are two pipes: their relative order is not kept (nor is it in Kubernetes)
    code, out, err = await wait_for(lambda: _logs_with(apiserver, 2, "logs", "chatty"), what="both lines")
    assert code == 0 and sorted(out.splitlines()) == ["hello from app", "oops"]
    assert err == 'Defaulted container "app" out of: app, side\n'
    await wait_for(lambda: _logs_with(apiserver, 5, "logs", "chatty", "-c", "side"), what="side's lines")
    code, out, _ = await cli(apiserver, "logs", "pod/chatty", "-c", "side", "--tail", "2")
    assert (code, out) == (0, "side 4\nside 5\n")
    code, out, _ = await cli(apiserver, "logs", "chatty", "-c", "side", "--timestamps", "--tail", "1")
    assert code == 0 and out.endswith("Z side 5\n") and out[:4].isdigit()
    code, _, err = await cli(apiserver, "logs", "chatty", "-c", "nope")
    assert code == 1 and "container nope is not valid for pod chatty" in err
    code, _, err = await cli(apiserver, "logs", "missing")
    assert (code, err) == (1, 'Error from server (NotFound): pods "missing" not found\n')


async def _logs_with(apiserver, lines: int, *args):
    code, out, err = await cli(apiserver, *args)
    return (code, out, err) if len(out.splitlines()) >= lines else None


async def test_follow_and_previous(node, client, apiserver):
    # ticks for about 2 s: it outlives the kubelet's one-second relist, so it is seen running
    manifest = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: counter}
        spec:
          nodeName: node-1
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox
            command: ["/bin/sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.6; done; exit 1"]
        """)
    await client.create_manifest(manifest, "default")
    await wait_pod(client, "counter", lambda p: container_state(p)[0] == "running")
    code, out, _ = await cli(apiserver, "logs", "-f", "counter")
    assert (code, out) == (0, "tick 1\ntick 2\ntick 3\n")
    await wait_pod(client, "counter", lambda p: container_state(p)[2].restart_count >= 1)
    code, out, _ = await cli(apiserver, "logs", "counter", "--previous")
    assert (code, out) == (0, "tick 1\ntick 2\ntick 3\n")


async def test_previous_without_one(node, client, apiserver):
    await client.create_manifest(two_containers("fresh"), "default")
    await wait_pod(client, "fresh", lambda p: p.status.phase == "Running")
    code, _, err = await cli(apiserver, "logs", "fresh", "-c", "side", "-p")
    assert code == 1 and 'previous terminated container "side" in pod "fresh" not found' in err


async def test_exec(node, client, apiserver):
    await client.create_manifest(two_containers("shell"), "default")
    p = await wait_pod(client, "shell", lambda p: p.status.phase == "Running")
    code, out, _ = await cli(apiserver, "exec", "shell", "--", "sh", "-c",
                             "hostname; echo $HOSTNAME $GREETING; grep shell /etc/hosts; echo x > /data/f; cat /data/f")
    assert code == 0
    assert out == f"shell\nshell hello\n{p.status.pod_ip}\tshell\nx\n"
    code, out, err = await cli(apiserver, "exec", "shell", "-c", "side", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (code, out) == (3, "out\n") and err == "err\ncommand terminated with exit code 3\n"
    code, out, _ = await cli(apiserver, "exec", "-i", "shell", "--", "tr", "a-z", "A-Z", stdin=b"piped in\n")
    assert (code, out) == (0, "PIPED IN\n")
    code, _, err = await cli(apiserver, "exec", "shell", "--", "no-such-command")
    assert code != 0 and "no-such-command" in err
