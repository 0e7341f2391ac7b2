"""stop_grpc_server: a shutdown that never returns does not keep the process alive."""
import subprocess
import sys
import textwrap

from tests.support import ROOT

SCRIPT = textwrap.dedent("""
    import asyncio, logging, sys
    from kubelab import skeleton

    class Stuck:  # a server whose stop never returns, as the one CI saw
        async def stop(self, grace):
            await asyncio.Event().wait()

    async def main():
        skeleton.STOP_MARGIN = 0.2
        await skeleton.stop_grpc_server(Stuck(), 0.1, "test")
        print("returned", flush=True)

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(main())
""")


def test_a_server_that_never_stops_is_left_behind_with_every_task_logged():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert "returned" not in proc.stdout
    assert "task still running at shutdown component=test" in proc.stderr
    assert "the gRPC server did not stop within 0.3s, exiting now component=test" in proc.stderr


SWALLOWER = textwrap.dedent("""
    import asyncio, logging, sys
    from kubelab import skeleton
    from kubelab.config import BaseConfig

    async def swallows():  # a retry loop that caught its own cancellation, as a lost one looks
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass

    async def stop_soon(proc):  # runs once `swallows` waits: the runnables start in order
        proc.stopping.set()

    def setup(proc):
        proc.add_runnable("swallows", swallows)
        proc.add_runnable("stop-soon", lambda: stop_soon(proc))

    skeleton.STOP_MARGIN = 0.3
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    skeleton.run("test", BaseConfig(listen="127.0.0.1:0"), setup)
    print("returned", flush=True)
""")


def test_a_runnable_that_swallows_its_cancellation_does_not_keep_the_process():
    proc = subprocess.run([sys.executable, "-c", SWALLOWER], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "returned" not in proc.stdout
    assert 'msg="task still running at shutdown" component=test task=swallows' in proc.stderr, proc.stderr[-2000:]
    assert 'msg="a task did not end within 0.3s of its cancellation, exiting now" component=test' in proc.stderr
