"""The built-in `kubelab/session-demo` (examples/stateless): token signing, its answers, and two replicas
over HTTP on loopback."""
import http.client
import threading

import pytest

from services.kubelet.builtin import sessiondemo

KEY = b"shared-by-every-replica"


def test_a_signed_token_names_its_user_for_anyone_with_the_key():
    token = sessiondemo.sign_token("alice", KEY)
    assert sessiondemo.verify_token(token, KEY) == "alice"
    assert sessiondemo.sign_token("alice", KEY) == token  # the same on every replica


def test_a_token_with_another_key_or_edited_is_refused():
    token = sessiondemo.sign_token("alice", KEY)
    assert sessiondemo.verify_token(token, b"another key") is None
    forged = sessiondemo.sign_token("mallory", b"guess").split(".")[0] + "." + token.split(".")[1]
    assert sessiondemo.verify_token(forged, KEY) is None
    assert sessiondemo.verify_token("not-a-token", KEY) is None
    assert sessiondemo.verify_token("", KEY) is None


def test_sessions_live_in_one_process_only():
    here, there = sessiondemo.Sessions(), sessiondemo.Sessions()
    sid = here.login("alice")
    assert here.user(sid) == "alice" and there.user(sid) is None


def test_whoami_answers():
    assert sessiondemo.whoami("alice", "web-1") == (200, "logged in as alice (served by web-1)\n")
    assert sessiondemo.whoami(None, "web-2") == (401, "not logged in (served by web-2)\n")


# -- two replicas over HTTP on loopback (no cluster)

def call(server, method: str, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), dict(resp.getheaders())
    finally:
        conn.close()


@pytest.fixture
def replicas():
    servers = [sessiondemo.make_server("127.0.0.1", 0, KEY, f"web-{i}") for i in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield servers
    for s in servers:
        s.shutdown()
        s.server_close()


def test_a_cookie_works_on_its_replica_only_and_a_token_on_both(replicas):
    one, two = replicas
    status, body, headers = call(one, "POST", "/login?user=alice")
    assert (status, body) == (200, "logged in as alice (served by web-0)\n")
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    assert call(one, "GET", "/whoami", cookie)[:2] == (200, "logged in as alice (served by web-0)\n")
    assert call(two, "GET", "/whoami", cookie)[:2] == (401, "not logged in (served by web-1)\n")

    status, token, _ = call(two, "POST", "/token?user=bob")
    bearer = {"Authorization": f"Bearer {token.strip()}"}
    assert call(one, "GET", "/whoami", bearer)[:2] == (200, "logged in as bob (served by web-0)\n")
    assert call(two, "GET", "/whoami", bearer)[:2] == (200, "logged in as bob (served by web-1)\n")
    assert call(one, "GET", "/whoami", {"Authorization": "Bearer forged.token"})[0] == 401
    assert call(one, "POST", "/login")[:2] == (400, "user is required: POST /login?user=NAME\n")
