"""kubelab's built-in `kubelab/session-demo` image: the seed tutorial's session example made real.

The tutorial puts stateless back-ends behind a load-balancing Service and asks what happens to a login
kept in one back-end's memory: the next request may land on another pod, which has never heard of the
session, so the user is "not logged in". A token the client carries (signed with a key every replica
shares) is checked by whichever pod gets the request, so it always works.

    session-demo [--port P] [--secret-env NAME]          HTTP on the pod's IP (default port 8080)

    POST /login?user=NAME   a session kept in this pod's memory: `Set-Cookie: session=ID`
    POST /token?user=NAME   a signed token (body), valid on every replica
    GET  /whoami            with `Cookie: session=ID` or `Authorization: Bearer TOKEN`:
                            `logged in as NAME (served by POD)` (200) or `not logged in (served by POD)` (401)

The signing key comes from the environment variable named by --secret-env (default SESSION_DEMO_SECRET);
the replicas of one Deployment get the same value from the manifest. Standard library only: it runs
inside the container on the node's python3 (as `/.kubelab/bin/session-demo`).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import secrets
import signal
import socket
import sys
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORT = 8080


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(user: str, key: bytes) -> str:
    """`<user, base64url>.<HMAC-SHA256 of it, base64url>`: anyone holding the key can check it."""
    payload = _b64(user.encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def verify_token(token: str, key: bytes) -> str | None:
    """The user a token names, or None when it is malformed or its signature does not match."""
    payload, sep, signature = token.partition(".")
    if not sep or not hmac.compare_digest(_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()),
                                          signature):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


class Sessions:
    """Logins kept in this process's memory only: the state that makes a back-end stateful."""

    def __init__(self):
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()

    def login(self, user: str) -> str:
        sid = secrets.token_hex(16)
        with self._lock:
            self._users[sid] = user
        return sid

    def user(self, sid: str) -> str | None:
        with self._lock:
            return self._users.get(sid)


def whoami(user: str | None, pod: str) -> tuple[int, str]:
    if user is None:
        return 401, f"not logged in (served by {pod})\n"
    return 200, f"logged in as {user} (served by {pod})\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "session-demo/1.0 (kubelab)"
    sessions: Sessions
    key: bytes
    pod: str

    def log_message(self, format, *args):
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()

    def reply(self, code: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _user_param(self) -> str | None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(errors="replace")) if length else {}
        users = parse_qs(url.query).get("user") or form.get("user") or []
        return users[0] if users and users[0] else None

    def _current_user(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return verify_token(auth[len("Bearer "):].strip(), self.key)
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return self.sessions.user(cookie["session"].value) if "session" in cookie else None

    def do_POST(self):
        route = urlsplit(self.path).path
        if route not in ("/login", "/token"):
            return self.reply(404, "404 page not found\n")
        user = self._user_param()
        if user is None:
            return self.reply(400, "user is required: POST /login?user=NAME\n")
        if route == "/token":
            return self.reply(200, sign_token(user, self.key) + "\n")
        sid = self.sessions.login(user)
        self.reply(200, f"logged in as {user} (served by {self.pod})\n",
                   {"Set-Cookie": f"session={sid}; Path=/; HttpOnly"})

    def do_GET(self):
        route = urlsplit(self.path).path
        if route == "/healthz":
            return self.reply(200, "ok\n")
        if route != "/whoami":
            return self.reply(404, "404 page not found\n")
        self.reply(*whoami(self._current_user(), self.pod))


def make_server(host: str, port: int, key: bytes, pod: str) -> ThreadingHTTPServer:
    """A server with its own, empty session table (one per pod)."""
    handler = type("BoundHandler", (Handler,), {"sessions": Sessions(), "key": key, "pod": pod})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def pod_ip() -> str:
    """What the pod's hostname resolves to (the kubelet's /etc/hosts line for the pod)."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "0.0.0.0"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="session-demo", description=__doc__.split("\n\n")[0])
    # no SESSION_DEMO_PORT variable: a Service named session-demo sets that one (tcp://IP:PORT) in every pod
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--secret-env", default="SESSION_DEMO_SECRET",
                   help="the environment variable holding the token signing key")
    args = p.parse_args(argv)
    secret = os.environ.get(args.secret_env, "")
    if not secret:
        print(f"session-demo: ${args.secret_env} is empty: tokens would be signed with no key", file=sys.stderr)
        return 2
    server = make_server(pod_ip(), args.port, secret.encode(), socket.gethostname())
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"session-demo listening on {server.server_address[0]}:{args.port} as {socket.gethostname()}",
          flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
