"""`kubelab exec -i[t] POD -- sh` on a real terminal (a pseudo-terminal): it ends with the shell's exit code,
never with `Fatal Python error: _enter_buffered_busy` at exit, and leaves the terminal as it found it
(issue 12, item 2)."""
from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
import termios
import time

import pytest

from tests.integration.kubelet.kubelet_support import run_cli, wait_pod
from tests.support import ROOT

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: busybox, command: ["sleep", "1000"]}
"""


def exec_on_terminal(server: str, flags: str, typed: bytes, timeout: float = 30.0) -> tuple[int, str]:
    """Run `kubelab exec FLAGS shell -- sh` with a pseudo-terminal as stdin, stdout and stderr, type `typed`
    once it runs; (exit status, everything the terminal showed). Also checks the terminal's modes after."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([sys.executable, "-m", "kubelab.cli.main", "--server", server, "exec", flags, "shell",
                             "--", "sh"], stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    os.close(slave)
    shown = b""
    try:
        os.write(master, typed)
        deadline = time.monotonic() + timeout
        while proc.poll() is None or _readable(master):
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"exec did not end: {shown!r}")
            if _readable(master):
                try:
                    shown += os.read(master, 4096)
                except OSError:  # EIO: the terminal's last user is gone
                    break
            else:
                time.sleep(0.02)
        after = termios.tcgetattr(master)
    finally:
        os.close(master)
    assert after[3] == before[3], "the terminal's local modes (echo, canonical) were not restored"
    return proc.wait(), shown.decode(errors="replace")


def _readable(fd: int) -> bool:
    import select
    return bool(select.select([fd], [], [], 0)[0])


@pytest.fixture
async def shell(node, client):
    await client.create_manifest(POD, "default")
    await wait_pod(client, "shell", lambda p: p.status.phase == "Running" and p.status.container_statuses[0].ready)


@pytest.mark.parametrize("flags", ["-it", "-i"])
async def test_exit_code_of_a_shell_on_a_terminal(shell, apiserver, flags):
    code, shown = await asyncio.to_thread(exec_on_terminal, apiserver.address, flags, b"echo hi there\nexit 3\n")
    assert "Fatal Python error" not in shown, shown
    assert "hi there" in shown and "command terminated with exit code 3" in shown, shown
    assert code == 3, shown


async def test_exit_code_without_a_terminal(shell, apiserver):
    code, out, err = await run_cli(apiserver.address, "exec", "-i", "shell", "--", "sh", stdin=b"exit 4\n")
    assert (code, err) == (4, "command terminated with exit code 4\n")
    code, out, err = await run_cli(apiserver.address, "exec", "-it", "shell", "--", "sh", stdin=b"exit 5\n")
    assert code == 5
    assert err == "Unable to use a TTY - input is not a terminal or the right kind of file\n" \
                  "command terminated with exit code 5\n"
