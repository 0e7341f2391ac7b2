"""`kubelab run` as kubectl run behaves, on a real cluster: a bare pod (`pod/NAME created`); with -i the
container's output and stdin through the kubelet's Attach, its exit code passed through, and --rm."""
from __future__ import annotations

import asyncio
import subprocess

from kubelab.errors import ApiError, is_not_found
from tests.e2e.cluster import KUBELAB, ROOT, wait_for


async def kubelab(cluster, *args, stdin: str | None = None):
    """(exit code, stdout, stderr) of `kubelab ARGS` with `stdin` as its input."""
    result = await asyncio.to_thread(
        subprocess.run, [*KUBELAB, "--state-dir", str(cluster.state_dir), *args], input=stdin or "",
        env=cluster.env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    return result.returncode, result.stdout, result.stderr


async def gone(client, ns: str, name: str) -> None:
    async def missing():
        try:
            await client.get("Pod", name, ns)
        except ApiError as e:
            return is_not_found(e)
        return False
    await wait_for(missing, 60, f"pod {name} deleted")


async def test_run_creates_a_bare_pod(cluster, client, ns):
    code, out, err = await kubelab(cluster, "run", "-n", ns, "sleeper", "--image", "busybox", "--env", "A=1",
                                   "--", "sleep", "3600")
    assert (code, out, err) == (0, "pod/sleeper created\n", "")
    pod = await client.get("Pod", "sleeper", ns)
    assert dict(pod.metadata.labels) == {"run": "sleeper"} and pod.spec.restart_policy == "Always"
    (c,) = pod.spec.containers
    assert (c.name, c.image, list(c.args), [(e.name, e.value) for e in c.env]) == (
        "sleeper", "busybox", ["sleep", "3600"], [("A", "1")])
    assert not c.stdin
    code, _, err = await kubelab(cluster, "run", "-n", ns, "sleeper", "--image", "busybox")
    assert code == 1 and err == 'Error from server (AlreadyExists): pods "sleeper" already exists\n'


async def test_run_attached_passes_output_and_exit_code_through_and_removes_the_pod(cluster, client, ns):
    code, out, err = await kubelab(cluster, "run", "-n", ns, "fails", "-i", "--rm", "--restart=Never",
                                   "--image", "busybox", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert code == 3
    assert out == 'out\npod "fails" deleted\n'
    assert err == f"err\npod {ns}/fails terminated (Error)\n"
    await gone(client, ns, "fails")


async def test_run_attached_feeds_stdin_to_the_container(cluster, client, ns):
    code, out, err = await kubelab(cluster, "run", "-n", ns, "reader", "-i", "--rm", "--restart=Never",
                                   "--image", "busybox", "--", "sh", "-c", "read a; read b; echo got $b $a",
                                   stdin="one\ntwo\n")
    assert (code, out, err) == (0, 'got two one\npod "reader" deleted\n', "")


async def test_run_attached_without_rm_leaves_a_completed_pod(cluster, client, ns):
    code, out, _ = await kubelab(cluster, "run", "-n", ns, "once", "-i", "--restart=Never", "--image", "busybox",
                                 "--", "echo", "hello")
    assert (code, out) == (0, "hello\n")
    pod = await client.get("Pod", "once", ns)
    assert pod.status.phase == "Succeeded"


async def test_rm_without_attaching_is_refused_and_creates_nothing(cluster, client, ns):
    code, out, err = await kubelab(cluster, "run", "-n", ns, "x", "--rm", "--image", "busybox")
    assert (code, out, err) == (1, "", "error: --rm should only be used for attached containers\n")
    pods, _ = await client.list("Pod", ns)
    assert pods == []
