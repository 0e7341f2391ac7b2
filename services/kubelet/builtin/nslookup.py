"""kubelab's built-in `nslookup`, as busybox 1.28 has it (`networking/nslookup.c` at tag 1_28_4: the
libc-based version, not the FEATURE_NSLOOKUP_BIG one of 1.29 and later), so that the StatefulSet
Basics tutorial's `kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm -- nslookup
web-0.nginx` prints here what it prints there:

    Server:    198.19.0.10
    Address 1: 198.19.0.10 kube-dns.kube-system.svc.cluster.local

    Name:      web-0.nginx
    Address 1: 198.18.1.6 web-0.nginx.default.svc.cluster.local

The server is /etc/resolv.conf's first nameserver; names go through the system resolver (getaddrinfo,
so `search` and `ndots` apply) and every address is named by a reverse lookup, as busybox's
`print_host` does. A name that does not resolve: `nslookup: can't resolve 'NAME'` on stderr, exit 1.

Standard library only: it runs inside containers on the node's python3 (as `/.kubelab/bin/nslookup`).
"""
from __future__ import annotations

import socket
import sys
from collections.abc import Callable

USAGE = """BusyBox v1.28.4 (kubelab) multi-call binary.

Usage: nslookup [HOST] [SERVER]

Query the nameserver for the IP address of the given HOST
optionally using a specified DNS server
"""

Resolve = Callable[[str], list[str]]
"""A name -> its addresses in the resolver's order; raises OSError when it does not resolve."""
Reverse = Callable[[str], "str | None"]
"""An address -> the name its PTR record gives, or None."""


def first_nameserver(resolv_conf: str) -> str:
    """The first `nameserver` of a resolv.conf text; 127.0.0.1 when there is none, as libc assumes."""
    for line in resolv_conf.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            return fields[1]
    return "127.0.0.1"


def host_block(header: str, name: str, resolve: Resolve, reverse: Reverse) -> str | None:
    """busybox's print_host: `%-10s %s` and one `Address N: IP [PTR name]` line per address; None when
    the name does not resolve."""
    try:
        addresses = resolve(name)
    except OSError:
        return None
    lines = [f"{header:<10} {name}"]
    for n, address in enumerate(addresses, 1):
        ptr = reverse(address)
        lines.append(f"Address {n}: {address} {ptr}" if ptr else f"Address {n}: {address}")
    return "\n".join(lines) + "\n"


def lookup(name: str, server: str, resolve: Resolve, reverse: Reverse) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) of `nslookup NAME` with `server` as the resolver's nameserver."""
    out = (host_block("Server:", server, resolve, reverse) or "") + "\n"
    block = host_block("Name:", name, resolve, reverse)
    if block is None:
        return out, f"nslookup: can't resolve '{name}'\n", 1
    return out + block, "", 0


def system_resolve(name: str) -> list[str]:
    """getaddrinfo with SOCK_STREAM (one entry per address, as busybox asks), duplicates dropped."""
    infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def system_reverse(address: str) -> str | None:
    try:
        return socket.getnameinfo((address, 0), socket.NI_NAMEREQD)[0]
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0].startswith("-") or len(argv) > 2:
        sys.stderr.write(USAGE)
        return 1
    if len(argv) == 2:
        sys.stderr.write("nslookup: kubelab's nslookup always asks /etc/resolv.conf's nameserver; "
                         "drop the SERVER argument\n")
        return 1
    try:
        with open("/etc/resolv.conf") as f:
            server = first_nameserver(f.read())
    except OSError:
        server = "127.0.0.1"
    out, err, code = lookup(argv[0], server, system_resolve, system_reverse)
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
