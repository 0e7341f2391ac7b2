"""The built-in `kubelab/kvstore`'s logic: the store (sequence numbers, write-ahead log, snapshots,
the retained log), and master, replica and clone over HTTP on loopback (no cluster)."""
from __future__ import annotations

import json
import threading
import time

import pytest

from services.kubelet.builtin import kvstore
from services.kubelet.builtin.kvstore import Gone, Node, Store


def wait_until(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# -- the store

def test_writes_get_consecutive_sequence_numbers():
    s = Store()
    assert s.put("a", "1") == 1 and s.put("b", "2") == 2 and s.put("a", "3") == 3
    assert s.delete("b") == 4 and s.delete("missing") is None
    assert s.items() == {"a": "3"} and s.get("a") == "3" and s.get("b") is None and s.seq == 4


def test_the_write_ahead_log_is_replayed_on_load(tmp_path):
    s = Store(str(tmp_path))
    s.put("a", "1")
    s.put("b", "2")
    s.delete("a")
    s.close()
    lines = [json.loads(x) for x in (tmp_path / "wal.log").read_text().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3] and lines[2] == {"seq": 3, "op": "del", "key": "a"}
    again = Store(str(tmp_path))
    assert again.items() == {"b": "2"} and again.seq == 3 and again.has_data()


def test_a_torn_last_line_is_ignored(tmp_path):
    s = Store(str(tmp_path))
    s.put("a", "1")
    s.close()
    with open(tmp_path / "wal.log", "a") as f:
        f.write('{"seq": 2, "op": "put", "ke')
    again = Store(str(tmp_path))
    assert again.items() == {"a": "1"} and again.seq == 1


def test_compaction_writes_a_snapshot_and_empties_the_log(tmp_path):
    s = Store(str(tmp_path), compact_every=3)
    for i in range(7):
        s.put(f"k{i}", str(i))
    snap = json.loads((tmp_path / "snapshot.json").read_text())
    assert snap["seq"] == 6 and len(snap["data"]) == 6
    assert [json.loads(x)["seq"] for x in (tmp_path / "wal.log").read_text().splitlines()] == [7]
    s.close()
    again = Store(str(tmp_path))
    assert again.seq == 7 and len(again.items()) == 7


def test_entries_since_and_what_is_gone():
    s = Store(keep_log=3)
    for i in range(5):
        s.put("k", str(i))
    assert [e["seq"] for e in s.entries_since(3)] == [4, 5]
    assert s.entries_since(5) == []
    with pytest.raises(Gone):
        s.entries_since(1)      # compacted out of the retained log
    with pytest.raises(Gone):
        s.entries_since(9)      # ahead of this store (e.g. a master that lost its data)


def test_a_long_poll_wakes_on_a_write():
    s = Store()
    got = []
    t = threading.Thread(target=lambda: got.append(s.entries_since(0, wait=5)))
    start = time.monotonic()
    t.start()
    time.sleep(0.05)
    s.put("a", "1")
    t.join(5)
    assert [e["key"] for e in got[0]] == ["a"] and time.monotonic() - start < 2


def test_a_replica_applies_entries_in_order_and_skips_what_it_has():
    master, replica = Store(), Store()
    for i in range(3):
        master.put(f"k{i}", str(i))
    assert replica.apply_entries(master.entries_since(0)[:2]) == 2
    assert replica.apply_entries(master.entries_since(0)) == 1
    assert replica.items() == master.items() and replica.seq == 3
    with pytest.raises(Gone):
        replica.apply_entries([{"seq": 9, "op": "put", "key": "x", "value": "y"}])


def test_restore_replaces_everything_and_persists(tmp_path):
    s = Store(str(tmp_path))
    s.put("old", "x")
    s.restore({"seq": 10, "data": {"a": "1"}})
    assert s.items() == {"a": "1"} and s.seq == 10
    with pytest.raises(Gone):
        s.entries_since(9)
    s.put("b", "2")
    s.close()
    again = Store(str(tmp_path))
    assert again.items() == {"a": "1", "b": "2"} and again.seq == 11


# -- names

def test_peer_names_split_into_host_and_port():
    assert kvstore.split_hostport("kv-0.kv:7000") == ("kv-0.kv", 7000)
    assert kvstore.split_hostport("kv-0.kv") == ("kv-0.kv", 6380)


# -- servers on loopback

class Running:
    def __init__(self, node: Node):
        self.node = node
        self.server = kvstore.make_server(node, "127.0.0.1", 0)
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        if node.role == "replica":
            threading.Thread(target=node.follow, daemon=True).start()

    def stop(self):
        self.node.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    started = []

    def start(store, role, master="", hostname="x"):
        r = Running(Node(store, role, master, hostname=hostname, poll_wait=0.5))
        started.append(r)
        return r
    yield start
    for r in started:
        r.stop()


def cli(*argv) -> int:
    return kvstore.main(list(argv))


def test_a_peer_is_reached_by_name_through_the_resolver(tmp_path, servers, capsys):
    m = servers(Store(str(tmp_path / "m")), "master", hostname="kv-0")
    by_name = m.addr.replace("127.0.0.1", "localhost")  # /etc/hosts here; cluster DNS in a pod
    assert cli("put", "-s", by_name, "greeting", "hello") == 0
    assert cli("get", "-s", by_name, "greeting") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "hello"


def test_master_replica_and_clone_over_http(tmp_path, servers, capsys):
    m = servers(Store(str(tmp_path / "m")), "master", hostname="kv-0")
    assert cli("put", "-s", m.addr, "greeting", "hello") == 0
    assert cli("put", "-s", m.addr, "course", "kubelab") == 0

    # kv-1 clones the master, then follows it
    assert cli("clone", "--from", m.addr, "--dir", str(tmp_path / "r1")) == 0
    origin = json.loads((tmp_path / "r1" / "clone.json").read_text())
    assert (origin["source"], origin["role"], origin["seq"], origin["keys"]) == ("kv-0", "master", 2, 2)
    r1 = servers(Store(str(tmp_path / "r1")), "replica", m.addr, hostname="kv-1")
    wait_until(r1.node.ready)

    # kv-2 clones kv-1 (a replica), then follows the master
    assert cli("put", "-s", m.addr, "later", "x") == 0
    wait_until(lambda: r1.node.store.seq == 3)
    assert cli("clone", "--from", r1.addr, "--dir", str(tmp_path / "r2")) == 0
    origin = json.loads((tmp_path / "r2" / "clone.json").read_text())
    assert (origin["source"], origin["role"], origin["seq"]) == ("kv-1", "replica", 3)
    r2 = servers(Store(str(tmp_path / "r2")), "replica", m.addr, hostname="kv-2")
    wait_until(r2.node.ready)

    assert cli("del", "-s", m.addr, "course") == 0
    assert cli("put", "-s", m.addr, "greeting", "bonjour") == 0
    wait_until(lambda: r1.node.store.seq == r2.node.store.seq == 5)
    assert r1.node.store.items() == r2.node.store.items() == {"greeting": "bonjour", "later": "x"}
    capsys.readouterr()
    assert cli("get", "-s", r2.addr, "greeting") == 0 and capsys.readouterr().out == "bonjour\n"

    # replicas are read-only
    assert cli("put", "-s", r1.addr, "greeting", "no") == 1
    assert "kv-1 is a read-only replica; write to the master" in capsys.readouterr().err
    assert cli("get", "-s", r1.addr, "missing") == 1

    # status: the probe's exit code
    assert cli("status", "-s", r2.addr) == 0
    out = capsys.readouterr().out
    assert "role=replica" in out and "lag=0" in out


def test_clone_keeps_existing_data(tmp_path, servers):
    m = servers(Store(), "master")
    m.node.store.put("a", "1")
    kept = Store(str(tmp_path))
    kept.put("mine", "1")
    kept.close()
    assert cli("clone", "--from", m.addr, "--dir", str(tmp_path)) == 0
    assert Store(str(tmp_path)).items() == {"mine": "1"} and not (tmp_path / "clone.json").exists()


def test_clone_gives_up_after_its_timeout(tmp_path):
    assert cli("clone", "--from", "127.0.0.1:1", "--dir", str(tmp_path), "--timeout", "0") == 1


def test_a_replica_restarted_resumes_from_its_seq_and_resyncs_when_it_is_gone(tmp_path, servers):
    m = servers(Store(keep_log=2), "master")
    for i in range(3):
        m.node.store.put(f"k{i}", str(i))
    r = servers(Store(str(tmp_path)), "replica", m.addr)   # empty, seq 0: not in the master's log
    wait_until(lambda: r.node.ready() and r.node.store.seq == 3)
    assert r.node.store.items() == m.node.store.items()
    r.stop()
    r.node.store.close()
    m.node.store.put("k3", "3")
    disk = Store(str(tmp_path))
    assert disk.seq == 3          # from its own disk (read before it serves: it syncs to 4 at once)
    again = servers(disk, "replica", m.addr)
    wait_until(lambda: again.node.store.seq == 4)
    assert again.node.store.get("k3") == "3"


def test_a_replica_is_not_ready_until_it_reaches_its_master(servers):
    r = servers(Store(), "replica", "127.0.0.1:1")
    wait_until(lambda: r.node.last_error)
    assert not r.node.ready()
    assert cli("status", "-s", r.addr) == 1


def test_the_image_without_args_serves_as_master():
    args = kvstore.parser().parse_args(["serve"])
    assert args.role == "master" and args.port == 6380 and args.dir == "/var/lib/kvstore"


def test_the_image_is_built_into_the_kubelet(tmp_path):
    from kubelab.api.v1 import core_pb2
    from services.kubelet import builtin, images

    assert images.builtin_of("kubelab/kvstore:1.0") == "kvstore"
    assert images.image_id("docker.io/kubelab/kvstore") == "kubelab://builtin/kvstore"
    cmd = images.container_command(core_pb2.Container(name="kv", image="kubelab/kvstore", args=["serve"]))
    assert cmd.argv == ["/.kubelab/bin/kvstore", "serve"] and cmd.builtin == "kvstore"
    builtin.install(tmp_path, python="/usr/bin/python3")
    assert (tmp_path / "lib" / "kvstore.py").is_file()
    script = (tmp_path / "bin" / "kvstore").read_text()
    assert script == '#!/bin/sh\nexec "/usr/bin/python3" -I /.kubelab/lib/kvstore.py "$@"\n'


def test_a_delayed_clone_takes_its_time_and_writes_at_the_end(tmp_path, servers, capsys):
    m = servers(Store(), "master", hostname="kv-0")
    m.node.store.put("a", "1")
    start = time.monotonic()
    assert cli("clone", "--from", m.addr, "--dir", str(tmp_path), "--delay", "0.3") == 0
    assert time.monotonic() - start >= 0.3
    assert Store(str(tmp_path)).items() == {"a": "1"}
    assert f"kvstore clone: copying 1 keys at seq 1 from kv-0 (master) at {m.addr}, 0.3 s\n" in capsys.readouterr().out


def test_a_delayed_clone_whose_source_goes_away_writes_nothing(tmp_path, servers, capsys, monkeypatch):
    m = servers(Store(), "master", hostname="kv-0")
    m.node.store.put("a", "1")
    monkeypatch.setenv("KVSTORE_CLONE_DELAY", "5")   # the manifest's way: the environment
    threading.Timer(0.3, m.stop).start()
    assert cli("clone", "--from", m.addr, "--dir", str(tmp_path)) == 1
    assert f"kvstore clone: lost {m.addr} after" in capsys.readouterr().err
    assert not (tmp_path / "snapshot.json").exists() and not (tmp_path / "clone.json").exists()
