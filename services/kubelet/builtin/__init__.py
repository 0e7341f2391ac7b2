"""Built-in images' commands, installed in each node root and bind-mounted into every container at /.kubelab.

    /.kubelab/bin/nginx   the static file server (nginx.py)
    /.kubelab/bin/pause   sleeps until stopped (registry.k8s.io/pause)
    /.kubelab/bin/kvstore the replicated key-value store (kvstore.py; kubelab/kvstore)
    /.kubelab/bin/nslookup busybox 1.28's nslookup (nslookup.py), on every container's PATH
    /.kubelab/bin/session-demo the stateless-vs-stateful login back-end (sessiondemo.py; kubelab/session-demo)
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["install", "MOUNT_POINT"]

MOUNT_POINT = "/.kubelab"
_HERE = Path(__file__).resolve().parent

#: Commands written in Python (standard library only): command name -> module in this package.
PYTHON_COMMANDS = {"nginx": "nginx", "kvstore": "kvstore", "nslookup": "nslookup", "session-demo": "sessiondemo"}

PAUSE = """#!/bin/sh
# registry.k8s.io/pause: sleep until stopped.
trap 'exit 0' TERM INT QUIT
while :; do sleep 3600 & wait $!; done
"""


def install(target: Path, python: str = sys.executable) -> Path:
    """Write the built-in commands under target (bin/, lib/); returns target."""
    (target / "bin").mkdir(parents=True, exist_ok=True)
    (target / "lib").mkdir(parents=True, exist_ok=True)
    scripts = {"pause": PAUSE}
    for name, module in PYTHON_COMMANDS.items():
        shutil.copyfile(_HERE / f"{module}.py", target / "lib" / f"{module}.py")
        scripts[name] = f'#!/bin/sh\nexec "{python}" -I {MOUNT_POINT}/lib/{module}.py "$@"\n'
    for name, text in scripts.items():
        path = target / "bin" / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(path)
    return target
