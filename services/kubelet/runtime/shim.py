"""The container shim: one small process per container run (what containerd-shim is to containerd).

    python -I -S shim.py <run-dir>/spec.json <log path> [stdin|stdin-once]

Standard library only, run as a script without site (the .pth files of site-packages would cost every
container ~4 MB). It forks a child that joins the pod's network namespace, enters new mount and UTS
namespaces, builds the container's root and becomes the command (shim_setup.py); the shim stays its
parent, so the kubelet may die and come back while the container runs on, and (shim_supervise.py):

1. writes `state.json` (pid and start ticks) once the command runs; `exit.json` (exit code, signal,
   reason, time) when it ends; processes left in its group are killed then, as when a container's PID 1
   exits;
2. appends the command's stdout and stderr to the log file in CRI format
   (`2024-01-02T03:04:05.123456789Z stdout F <line>`, as Kubernetes keeps /var/log/pods), and after the
   command has exited what is left in its pipes, for up to 5 s;
3. with `stdin` (the container's `stdin: true`), feeds the command's stdin pipe from the FIFO
   `<run-dir>/stdin`, which an attach (the kubelet's Attach) opens for writing; with `stdin-once` the
   command sees end-of-file when the first attach closes it, as containerd-shim does. Without it the
   command reads /dev/null.

A command that cannot start ends with exit code 128 and reason StartError (as containerd reports it).
If the run directory disappears (the node's state dir purged), the container is killed.

This file only starts the shim: a script is compiled at every start, a module it imports is loaded from
its cached bytecode (which ContainerRuntime writes when it starts).
"""
import sys

if __name__ == "__main__":
    sys.path[0:0] = [__file__.rpartition("/")[0]]  # -I leaves the script's directory off sys.path
    from shim_supervise import main

    sys.exit(main(sys.argv[1:]))
