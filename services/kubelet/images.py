"""Images: kubelab pulls none. A container runs its command on the node's own userland, except for a few
built-in images that tutorials use verbatim (design.md, "Node agent"):

    nginx, registry.k8s.io/nginx-slim   a static file server for /usr/share/nginx/html on the container
                                         ports (default 80), bound to the pod IP
    registry.k8s.io/pause               sleeps until stopped
    kubelab/kvstore                     the replicated key-value store of the master/replica labs
                                         (builtin/kvstore.py; `kvstore serve|clone|status|get|put ...`)
    kubelab/session-demo                the login back-end of examples/stateless (builtin/sessiondemo.py)

Any other image (`busybox`, `busybox:1.28`, `alpine`, ...) runs its command on the node's userland.

Inside every container `/.kubelab/bin` comes first on PATH and holds `nginx`, `pause`, `kvstore`,
`session-demo` and busybox 1.28's `nslookup` (builtin/nslookup.py), so a command
such as `sh -c "echo hi > /usr/share/nginx/html/index.html; nginx -g 'daemon off;'"` works too.
Pure: `container_command` decides what to run, or says why nothing can run.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.v1 import core_pb2

__all__ = ["normalize_image", "builtin_of", "container_command", "NoCommand", "BUILTIN_BIN", "BUILTIN_IMAGES",
           "image_id"]

#: Where the built-in commands appear inside a container.
BUILTIN_BIN = "/.kubelab/bin"

BUILTIN_IMAGES = {
    "nginx": "nginx",
    "registry.k8s.io/nginx-slim": "nginx",
    "k8s.gcr.io/nginx-slim": "nginx",
    "gcr.io/google_containers/nginx-slim": "nginx",
    "registry.k8s.io/pause": "pause",
    "k8s.gcr.io/pause": "pause",
    "gcr.io/google_containers/pause": "pause",
    "kubelab/kvstore": "kvstore",
    "kubelab/session-demo": "session-demo",
}


def normalize_image(image: str) -> str:
    """The repository without tag, digest and Docker Hub's implicit prefixes.

    `nginx:1.14.2` -> `nginx`; `docker.io/library/nginx@sha256:...` -> `nginx`;
    `registry.k8s.io/nginx-slim:0.8` -> `registry.k8s.io/nginx-slim`; `localhost:5000/app:1` -> `localhost:5000/app`.
    """
    name = image.strip().split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if name.startswith("library/"):
        name = name[len("library/"):]
    return name


def builtin_of(image: str) -> str | None:
    """The built-in command an image stands for (`nginx`, `pause`), or None."""
    return BUILTIN_IMAGES.get(normalize_image(image))


def image_id(image: str) -> str:
    """What containerStatuses[].imageID shows: built-ins are marked as such."""
    builtin = builtin_of(image)
    return f"kubelab://builtin/{builtin}" if builtin else f"kubelab://node-userland/{normalize_image(image)}"


class NoCommand(Exception):
    """The container has no command and its image is not built in: nothing could run."""


@dataclass(frozen=True)
class Command:
    argv: list[str]
    builtin: str | None


def container_command(container: core_pb2.Container, bin_dir: str = BUILTIN_BIN) -> Command:
    """The argv to run (command + args, or the built-in's own command); NoCommand when there is none.

    As in Kubernetes, `command` replaces the image's entrypoint and `args` its default arguments; an
    image that is not built in has neither, so `args` alone are the command.
    """
    builtin = builtin_of(container.image)
    command, args = list(container.command), list(container.args)
    if command:
        return Command(command + args, builtin)
    if builtin is not None:
        return Command([f"{bin_dir}/{builtin}"] + args, builtin)
    if args:
        return Command(args, None)
    raise NoCommand(
        f'image "{container.image}" is not built into kubelab and container "{container.name}" has no command: '
        f"set command (it runs on the node's userland: /bin/sh, coreutils, python3) or use a built-in image "
        f"(nginx, registry.k8s.io/nginx-slim, registry.k8s.io/pause, kubelab/kvstore, kubelab/session-demo)")
