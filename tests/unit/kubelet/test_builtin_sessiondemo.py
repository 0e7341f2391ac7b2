"""The built-in `kubelab/session-demo`'s token signing and its answers (examples/stateless)."""
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
