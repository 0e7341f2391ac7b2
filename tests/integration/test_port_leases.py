"""Ports handed out at the same time to processes side by side (test workers, `kubelab up`s) never repeat:
the kernel's own choice of a free port does, between one caller's choice and its bind."""
import json
import subprocess
import sys
import time

from tests.support import ROOT

ONE_AT_A_TIME = """
import json, sys
from kubelab.cluster.ports import allocate
print(json.dumps([allocate({"port": None})["port"] for _ in range(int(sys.argv[1]))]))
"""


def test_processes_allocating_at_once_never_get_the_same_port(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "KUBELAB_PORT_LEASES_FILE": str(tmp_path / "leases.json")}
    procs = [subprocess.Popen([sys.executable, "-c", ONE_AT_A_TIME, "300"], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    ports = [p for proc in procs for p in json.loads(proc.communicate(timeout=100)[0])]
    assert len(ports) == 900 and len(set(ports)) == 900
    leases = json.loads((tmp_path / "leases.json").read_text())
    assert set(leases) == {str(p) for p in ports} and min(leases.values()) > time.time()
