"""CrashLoopBackOff timings: immediate first restart, then 10 s doubling to 5 min, scalable, forgotten."""
import pytest

from services.kubelet.backoff import Backoff, format_delay


def crash_loop(b: Backoff, exits: list[float]) -> list[float]:
    """For each exit time, when the container may start again."""
    starts = []
    for finished in exits:
        wait = b.remaining("c", finished, finished)
        b.next("c", finished)
        starts.append(finished + wait)
    return starts


def test_first_restart_is_immediate_then_doubles_to_five_minutes():
    b = Backoff()
    assert b.remaining("c", 100.0, 100.0) == 0
    assert b.next("c", 100.0) == 10
    delays = []
    t = 100.0
    for _ in range(8):
        delays.append(b.remaining("c", t, t))
        b.next("c", t)
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]
    assert crash_loop(Backoff(), [0.0])[0] == 0.0


def test_in_back_off_until_the_delay_passed_since_the_exit():
    b = Backoff()
    b.next("c", 0.0)
    assert b.in_backoff_since("c", 50.0, 55.0)
    assert b.remaining("c", 50.0, 55.0) == pytest.approx(5.0)
    assert not b.in_backoff_since("c", 50.0, 60.0)


def test_scaled_for_tests():
    b = Backoff.scaled(0.1)
    b.next("c", 0.0)
    assert b.remaining("c", 1.0, 1.0) == pytest.approx(1.0)
    for _ in range(10):
        b.next("c", 1.0)
    assert b.get("c") == pytest.approx(30.0)


def test_forgotten_after_twice_the_maximum_without_restarts():
    b = Backoff()
    for t in (0.0, 1.0, 2.0):
        b.next("c", t)
    assert b.get("c") == 40
    assert not b.in_backoff_since("c", 2.0 + 601, 2.0 + 602)
    assert b.next("c", 2.0 + 601) == 10


def test_keys_are_independent_and_forget_prefix():
    b = Backoff()
    b.next("uid1/a", 0.0)
    b.next("uid1/a", 0.0)
    b.next("uid2/a", 0.0)
    b.forget_prefix("uid1/")
    assert b.get("uid1/a") == 0 and b.get("uid2/a") == 10


@pytest.mark.parametrize("secs,text", [(10, "10s"), (1.5, "1.5s"), (160, "2m40s"), (300, "5m0s"), (0.5, "0.5s")])
def test_format_delay_like_go(secs, text):
    assert format_delay(secs) == text
