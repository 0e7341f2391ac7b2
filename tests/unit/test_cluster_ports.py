"""Port choice: distinct, stable when free, replaced when taken."""

import socket

import pytest

from kubelab.cluster.ports import allocate, is_free, join, split


def test_split_and_join():
    assert split("127.0.0.1:80") == ("127.0.0.1", 80)
    assert split("[::1]:80") == ("::1", 80)
    assert split(":80") == ("127.0.0.1", 80)
    assert join("::1", 80) == "[::1]:80" and join("h", 1) == "h:1"
    with pytest.raises(ValueError, match="HOST:PORT"):
        split("nope")


def test_allocate_gives_distinct_free_ports():
    ports = allocate({f"k{i}": None for i in range(40)})
    assert len(set(ports.values())) == 40
    assert all(is_free(p) for p in ports.values())


def test_a_free_wanted_port_is_kept():
    first = allocate({"a": None})["a"]
    assert allocate({"a": first}) == {"a": first}


def test_a_taken_port_is_replaced():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert not is_free(taken)
        got = allocate({"a": taken, "b": taken})
    assert taken not in got.values()
    assert got["a"] != got["b"]


def test_fixed_ports_are_kept_and_not_reused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        running = s.getsockname()[1]
        got = allocate({"b": running}, fixed={"a": running})
    assert got["a"] == running and got["b"] != running


def test_one_wanted_port_for_two_keys_goes_to_one():
    port = allocate({"x": None})["x"]
    got = allocate({"a": port, "b": port})
    assert sorted([got["a"] == port, got["b"] == port]) == [False, True]


def test_ports_are_chosen_below_the_kernels_ephemeral_range(tmp_path):
    """Outgoing connections take their source ports from the ephemeral range; a port chosen there could be
    held by one before its process binds it."""
    from kubelab.cluster.ports import PORT_FLOOR, choice_range
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    ports = allocate({f"k{i}": None for i in range(20)})
    assert all(PORT_FLOOR <= p < low for p in ports.values()), ports
    narrow = tmp_path / "range"
    narrow.write_text(f"{PORT_FLOOR + 10}\t60999\n")
    assert choice_range(narrow) is None  # too little room below it: the kernel chooses
    narrow.write_text("32768\t60999\n")
    assert choice_range(narrow) == range(PORT_FLOOR, 32768)
    assert choice_range(tmp_path / "missing") is None
