"""kubelab's built-in `kubelab/kvstore` image: a small replicated key-value store for the master/replica labs.

Standard library only; it runs inside the container (as `/.kubelab/bin/kvstore`), so it sees the pod's
volumes where the manifest mounted them, and binds the pod's IP (what the pod's hostname resolves to in
its /etc/hosts). Modelled on the Kubernetes docs' "Run a Replicated Stateful Application" (MySQL):

    kvstore serve --role master [--dir D] [--port P]             accepts writes
    kvstore serve --role replica --master HOST:PORT [--dir D]    read-only, follows the master's log
    kvstore clone --from HOST:PORT --dir D [--force] [--delay S] copies a peer's snapshot, exits 0 (an init container)
    kvstore status [--server HOST:PORT] [--json]                 exit 0 when the local server is ready (a probe)
    kvstore put KEY VALUE | get KEY | del KEY | keys [--server HOST:PORT]

Data (`--dir`, default /var/lib/kvstore): `snapshot.json` ({"seq": N, "data": {...}}) plus `wal.log`, a
write-ahead log of JSON lines {"seq", "op": "put"|"del", "key", "value"}; every write gets the next
sequence number and is appended (and flushed) before it is applied. Loading replays the log's entries
past the snapshot's seq; every COMPACT_EVERY writes the snapshot is rewritten and the log emptied.
`clone.json` records where a cloned copy came from. A clone writes nothing until it has the whole copy, so
an interrupted one leaves --dir as it was. `--delay S` (KVSTORE_CLONE_DELAY) makes the copy last S seconds,
as a large database's would, for the labs; the source must stay reachable all along (it is asked every
second, as a broken stream would fail), else the clone fails having written nothing.

HTTP on the pod IP, port `--port` (KVSTORE_PORT, default 6380):

    GET /keys/K, PUT /keys/K (body: the value), DELETE /keys/K, GET /keys   (writes: the master only)
    GET /healthz       200 when ready (master: serving; replica: caught up with the master once), else 503
    GET /status        role, seq, master, lag, clonedFrom, ...
    GET /snapshot      {"seq", "data", "source", "role"}: what `clone` copies
    GET /log?since=S&wait=T   entries after S (long-poll up to T s); 410 when S is not in the retained log

A replica asks its master for `/log?since=<its last applied seq>`; on 410 it re-copies the master's
snapshot. So a replica cloned from another replica (whose state is a prefix of the master's log) then
follows the master from where its source was.

Names. A peer is named HOST:PORT, e.g. `kv-0.kv:6380`, as on a real cluster: the pod's resolver (cluster DNS,
through the `search` domains of its /etc/resolv.conf) finds `kv-0.kv` in the headless Service `kv`.
Every request resolves the name again, so a replica follows kv-0 to its new address when kv-0 is recreated.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 6380
DEFAULT_DIR = "/var/lib/kvstore"
COMPACT_EVERY = 1000
KEEP_LOG = 10000
VERSION = "kvstore/1.0 (kubelab)"


def log(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())} {msg}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The store: data, sequence numbers, the write-ahead log, snapshots, the retained log for followers.

class Gone(Exception):
    """The asked-for position is not in the retained log (compacted away, or ahead of this store)."""


class Store:
    """A key-value map with a sequence number, persisted in `dir` (None: in memory only). Thread-safe."""

    def __init__(self, dir: str | None = None, compact_every: int = COMPACT_EVERY, keep_log: int = KEEP_LOG):
        self.dir = dir
        self.compact_every, self.keep_log = compact_every, keep_log
        self.data: dict[str, str] = {}
        self.seq = 0
        self.log: list[dict] = []   # retained entries, seqs base+1 .. seq
        self.base = 0
        self.since_compact = 0
        self.cond = threading.Condition()
        self._wal = None
        if dir:
            os.makedirs(dir, exist_ok=True)
            self._load()

    # -- files
    def _path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def _load(self) -> None:
        snap = read_json(self._path("snapshot.json")) or {}
        self.data = {str(k): str(v) for k, v in (snap.get("data") or {}).items()}
        self.seq = self.base = int(snap.get("seq", 0))
        try:
            with open(self._path("wal.log")) as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        break   # a torn last line: the write never completed
                    if entry.get("seq", 0) == self.seq + 1:
                        self._apply(entry)
                        self.log.append(entry)
                        self.since_compact += 1
        except FileNotFoundError:
            pass
        self._wal = open(self._path("wal.log"), "a")

    def has_data(self) -> bool:
        return self.seq > 0 or bool(self.data)

    def _apply(self, entry: dict) -> None:
        if entry["op"] == "put":
            self.data[entry["key"]] = entry["value"]
        elif entry["op"] == "del":
            self.data.pop(entry["key"], None)
        self.seq = entry["seq"]

    def _append(self, entry: dict) -> None:
        """Log (write-ahead), apply, retain; the caller holds the lock."""
        if self._wal is not None:
            self._wal.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._wal.flush()
        self._apply(entry)
        self.log.append(entry)
        if len(self.log) > self.keep_log:
            drop = len(self.log) - self.keep_log
            self.base = self.log[drop - 1]["seq"]
            del self.log[:drop]
        self.since_compact += 1
        if self.dir and self.since_compact >= self.compact_every:
            self._compact()
        self.cond.notify_all()

    def _compact(self) -> None:
        write_json(self._path("snapshot.json"), {"seq": self.seq, "data": self.data})
        self._wal.close()
        self._wal = open(self._path("wal.log"), "w")
        self.since_compact = 0

    # -- the master's writes
    def put(self, key: str, value: str) -> int:
        with self.cond:
            self._append({"seq": self.seq + 1, "op": "put", "key": key, "value": value})
            return self.seq

    def delete(self, key: str) -> int | None:
        """The write's seq, or None when there was no such key."""
        with self.cond:
            if key not in self.data:
                return None
            self._append({"seq": self.seq + 1, "op": "del", "key": key})
            return self.seq

    def get(self, key: str) -> str | None:
        with self.cond:
            return self.data.get(key)

    def items(self) -> dict[str, str]:
        with self.cond:
            return dict(self.data)

    # -- replication
    def entries_since(self, since: int, wait: float = 0.0) -> list[dict]:
        """Entries after `since`, waiting up to `wait` s for one; Gone when `since` is not retained."""
        deadline = time.monotonic() + wait
        with self.cond:
            while True:
                if since > self.seq or since < self.base:
                    raise Gone(f"seq {since} is not in the log (retained {self.base}..{self.seq})")
                if since < self.seq:
                    return list(self.log[since - self.base:])
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.cond.wait(left)

    def apply_entries(self, entries: list[dict]) -> int:
        """A replica applies its master's entries in order (skipping what it has); the number applied."""
        n = 0
        with self.cond:
            for entry in entries:
                if entry["seq"] <= self.seq:
                    continue
                if entry["seq"] != self.seq + 1:
                    raise Gone(f"gap: have seq {self.seq}, got {entry['seq']}")
                self._append(entry)
                n += 1
        return n

    def snapshot(self) -> dict:
        with self.cond:
            return {"seq": self.seq, "data": dict(self.data)}

    def restore(self, snap: dict) -> None:
        """Replace everything with a snapshot (a clone, or a replica re-syncing); persisted at once."""
        with self.cond:
            self.data = {str(k): str(v) for k, v in snap["data"].items()}
            self.seq = self.base = int(snap["seq"])
            self.log = []
            if self.dir:
                self._compact()
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            if self._wal is not None:
                self._wal.close()
                self._wal = None


def read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def write_json(path: str, doc) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# Names and HTTP plumbing.

def split_hostport(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return text, default_port
    return host, int(port)


def pod_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def default_server() -> str:
    return f"{os.environ.get('KVSTORE_HOST') or pod_ip()}:{os.environ.get('KVSTORE_PORT') or DEFAULT_PORT}"


class HTTPError(Exception):
    def __init__(self, code: int, body):
        super().__init__(f"HTTP {code}: {body}")
        self.code, self.body = code, body


def request(server: str, method: str, path: str, body: bytes | None = None, timeout: float = 5.0):
    """(status, parsed JSON or text) from a kvstore at HOST:PORT (a name goes through the pod's resolver)."""
    host, port = split_hostport(server)
    url = f"http://{host}:{port}{path}"
    req = urllib.request.Request(url, data=body, method=method, headers={"User-Agent": VERSION})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, _decode(resp.read(), resp.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as e:
        raise HTTPError(e.code, _decode(e.read(), e.headers.get("Content-Type", ""))) from None


def _decode(raw: bytes, ctype: str):
    text = raw.decode(errors="replace")
    return json.loads(text) if ctype.startswith("application/json") else text


# ---------------------------------------------------------------------------------------------------------------
# The server.

class Node:
    """One kvstore server: a store, a role and, for a replica, the follower thread."""

    def __init__(self, store: Store, role: str, master: str = "", hostname: str = "", poll_wait: float = 5.0):
        self.store, self.role, self.master = store, role, master
        self.hostname = hostname or socket.gethostname()
        self.poll_wait = poll_wait
        self.synced = role == "master"      # a replica: caught up with its master at least once
        self.master_seq = 0
        self.last_contact = 0.0
        self.last_error = ""
        self.stopping = threading.Event()
        self.cloned_from = read_json(os.path.join(store.dir, "clone.json")) if store.dir else None

    def ready(self) -> bool:
        return self.role == "master" or self.synced

    def status(self) -> dict:
        doc = {"hostname": self.hostname, "role": self.role, "seq": self.store.seq, "keys": len(self.store.data),
               "ready": self.ready(), "clonedFrom": self.cloned_from}
        if self.role == "replica":
            doc.update(master=self.master, masterSeq=self.master_seq, lag=max(0, self.master_seq - self.store.seq),
                       connected=time.monotonic() - self.last_contact < self.poll_wait + 5 if self.last_contact
                       else False, lastError=self.last_error)
        return doc

    def follow(self) -> None:
        """A replica's loop: long-poll the master's log from our seq; re-copy its snapshot on 410."""
        log(f"{self.hostname} replica: following {self.master} from seq {self.store.seq}")
        while not self.stopping.is_set():
            try:
                wait = self.poll_wait if self.synced else 0   # the first answer tells whether we are caught up
                _, doc = request(self.master, "GET", f"/log?since={self.store.seq}&wait={wait}",
                                 timeout=self.poll_wait + 5)
                n = self.store.apply_entries(doc["entries"])
                self.master_seq = doc["seq"]
                self.last_contact = time.monotonic()
                if self.last_error:
                    log(f"{self.hostname} replica: reconnected to {self.master}")
                self.last_error = ""
                if n:
                    log(f"{self.hostname} replica: applied {n} entries from {self.master}, now at seq {self.store.seq}")
                if not self.synced and self.store.seq >= self.master_seq:
                    self.synced = True
                    log(f"{self.hostname} replica: caught up with {self.master} at seq {self.store.seq}; ready")
            except (HTTPError, Gone) as e:
                if isinstance(e, Gone) or e.code == 410:
                    try:
                        self.resync()
                    except (OSError, HTTPError, ValueError, KeyError) as e2:
                        self._failed(str(e2))
                else:
                    self._failed(str(e))
            except (OSError, ValueError, KeyError) as e:
                self._failed(str(e))

    def resync(self) -> None:
        _, snap = request(self.master, "GET", "/snapshot", timeout=30)
        log(f"{self.hostname} replica: seq {self.store.seq} is not in {self.master}'s log; "
            f"copying its snapshot at seq {snap['seq']}")
        self.store.restore(snap)

    def _failed(self, why: str) -> None:
        if why != self.last_error:
            log(f"{self.hostname} replica: cannot follow {self.master}: {why}")
        self.last_error = why
        self.stopping.wait(0.5)


class Handler(BaseHTTPRequestHandler):
    server_version = VERSION
    sys_version = ""
    protocol_version = "HTTP/1.1"
    node: Node = None  # set on the subclass made per server

    def log_message(self, format, *args):
        pass

    def reply(self, code: int, body, ctype: str = "application/json") -> None:
        raw = (json.dumps(body) + "\n").encode() if ctype == "application/json" else str(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _key(self) -> str | None:
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/keys/") and len(path) > len("/keys/"):
            return urllib.parse.unquote(path[len("/keys/"):])
        return None

    def _read_only(self) -> bool:
        node = self.node
        if node.role == "master":
            return False
        self.reply(403, {"error": f"{node.hostname} is a read-only replica; write to the master {node.master}"})
        return True

    def do_GET(self):
        node = self.node
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/healthz":
            self.reply(200 if node.ready() else 503, node.status())
        elif url.path == "/status":
            self.reply(200, node.status())
        elif url.path == "/keys":
            self.reply(200, node.store.items())
        elif url.path == "/snapshot":
            snap = node.store.snapshot()
            snap.update(source=node.hostname, role=node.role)
            log(f"{node.hostname}: sent a snapshot at seq {snap['seq']} ({len(snap['data'])} keys) "
                f"to {self.client_address[0]}")
            self.reply(200, snap)
        elif url.path == "/log":
            try:
                since = int(query.get("since", ["0"])[0])
                wait = min(float(query.get("wait", ["0"])[0]), 30.0)
                entries = node.store.entries_since(since, wait)
            except ValueError:
                self.reply(400, {"error": "since and wait must be numbers"})
                return
            except Gone as e:
                self.reply(410, {"error": str(e), "seq": node.store.seq})
                return
            self.reply(200, {"entries": entries, "seq": node.store.seq})
        elif (key := self._key()) is not None:
            value = node.store.get(key)
            if value is None:
                self.reply(404, {"error": f"key {key!r} not found"})
            else:
                self.reply(200, value, "text/plain; charset=utf-8")
        else:
            self.reply(404, {"error": f"no such path {url.path}"})

    def do_HEAD(self):
        self.do_GET()

    def do_PUT(self):
        key = self._key()
        length = int(self.headers.get("Content-Length") or 0)
        value = self.rfile.read(length).decode(errors="replace") if length else ""
        if key is None:
            self.reply(404, {"error": "PUT /keys/KEY"})
        elif not self._read_only():
            self.reply(200, {"key": key, "seq": self.node.store.put(key, value)})

    do_POST = do_PUT

    def do_DELETE(self):
        key = self._key()
        if key is None:
            self.reply(404, {"error": "DELETE /keys/KEY"})
        elif not self._read_only():
            seq = self.node.store.delete(key)
            self.reply(200 if seq else 404, {"key": key, "seq": seq} if seq else {"error": f"key {key!r} not found"})


def make_server(node: Node, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("KVHandler", (Handler,), {"node": node})
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(args) -> int:
    if args.role == "replica" and not args.master:
        print("kvstore: a replica needs --master HOST:PORT", file=sys.stderr)
        return 2
    host = args.host or os.environ.get("KVSTORE_HOST") or pod_ip()
    store = Store(args.dir)
    node = Node(store, args.role, args.master or "")
    server = make_server(node, host, args.port)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, lambda *_: done.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f", cloned from {node.cloned_from['source']} at seq {node.cloned_from['seq']}" if node.cloned_from else ""
    log(f"{node.hostname} {args.role}: listening on {host}:{args.port}, data in {args.dir} at seq {store.seq} "
        f"({len(store.data)} keys{origin})")
    if args.role == "replica":
        threading.Thread(target=node.follow, daemon=True).start()
    done.wait()
    node.stopping.set()
    server.shutdown()
    store.close()
    log(f"{node.hostname} {args.role}: stopped at seq {store.seq}")
    return 0


def clone(args) -> int:
    store = Store(args.dir)
    if store.has_data() and not args.force:
        print(f"kvstore clone: {args.dir} already holds data at seq {store.seq}; not cloning (--force to replace)")
        store.close()
        return 0
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            _, snap = request(args.source, "GET", "/snapshot", timeout=30)
            break
        except (OSError, HTTPError, ValueError) as e:
            if time.monotonic() > deadline:
                print(f"kvstore clone: cannot copy from {args.source}: {e}", file=sys.stderr)
                store.close()
                return 1
            print(f"kvstore clone: waiting for {args.source}: {e}", file=sys.stderr, flush=True)
            time.sleep(1)
    if args.delay > 0 and not _copy_slowly(args, snap):
        store.close()
        return 1
    store.restore(snap)
    store.close()
    origin = {"from": args.source, "source": snap.get("source", ""), "role": snap.get("role", ""),
              "seq": snap["seq"], "keys": len(snap["data"]), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_json(os.path.join(args.dir, "clone.json"), origin)
    print(f"kvstore clone: copied {origin['keys']} keys at seq {origin['seq']} from {origin['source']} "
          f"({origin['role']}) at {args.source} into {args.dir}", flush=True)
    return 0


def _copy_slowly(args, snap: dict) -> bool:
    """Spend --delay seconds "copying" the snapshot, failing if the source goes away meanwhile."""
    what = (f"{len(snap['data'])} keys at seq {snap['seq']} from {snap.get('source', '')} "
            f"({snap.get('role', '')}) at {args.source}")
    print(f"kvstore clone: copying {what}, {args.delay:g} s", flush=True)
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < args.delay:
        try:
            request(args.source, "GET", "/status", timeout=2)
        except (OSError, HTTPError, ValueError) as e:
            print(f"kvstore clone: lost {args.source} after {elapsed:.0f} s of {args.delay:g}: {e}; "
                  f"nothing written to {args.dir}", file=sys.stderr, flush=True)
            return False
        time.sleep(min(1.0, max(0.0, args.delay - elapsed)))
    return True


def client_call(args) -> int:
    server = args.server or default_server()
    try:
        if args.cmd == "status":
            try:
                _, doc = request(server, "GET", "/healthz", timeout=args.timeout)
            except HTTPError as e:
                doc = e.body
            if args.json:
                print(json.dumps(doc, indent=2))
            elif isinstance(doc, dict):
                print(" ".join(f"{k}={v}" for k, v in doc.items() if k != "clonedFrom"
                               and v not in ("", None)))
            return 0 if isinstance(doc, dict) and doc.get("ready") else 1
        if args.cmd == "get":
            _, value = request(server, "GET", "/keys/" + urllib.parse.quote(args.key, safe=""))
            print(value)
        elif args.cmd == "put":
            _, doc = request(server, "PUT", "/keys/" + urllib.parse.quote(args.key, safe=""), args.value.encode())
            print(f"OK seq={doc['seq']}")
        elif args.cmd == "del":
            _, doc = request(server, "DELETE", "/keys/" + urllib.parse.quote(args.key, safe=""))
            print(f"OK seq={doc['seq']}")
        elif args.cmd == "keys":
            _, doc = request(server, "GET", "/keys")
            for k in sorted(doc):
                print(f"{k}={doc[k]}")
        return 0
    except HTTPError as e:
        msg = e.body.get("error", e.body) if isinstance(e.body, dict) else e.body
        print(f"kvstore {args.cmd}: {msg}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"kvstore {args.cmd}: cannot reach {server}: {e}", file=sys.stderr)
        return 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kvstore", description="kubelab's replicated key-value store")
    sub = p.add_subparsers(dest="cmd", required=True)
    port = int(os.environ.get("KVSTORE_PORT") or DEFAULT_PORT)
    s = sub.add_parser("serve", help="run a master or a replica")
    s.add_argument("--role", choices=["master", "replica"], default="master")
    s.add_argument("--master", default="", help="HOST:PORT of the master (replicas)")
    s.add_argument("--dir", default=os.environ.get("KVSTORE_DIR") or DEFAULT_DIR)
    s.add_argument("--host", default="", help="address to bind (default: the pod IP)")
    s.add_argument("--port", type=int, default=port)
    c = sub.add_parser("clone", help="copy a full snapshot from a peer into --dir, then exit")
    c.add_argument("--from", dest="source", required=True, help="HOST:PORT of the peer")
    c.add_argument("--dir", default=os.environ.get("KVSTORE_DIR") or DEFAULT_DIR)
    c.add_argument("--force", action="store_true", help="replace data already in --dir")
    c.add_argument("--timeout", type=float, default=60.0, help="seconds to keep retrying the peer")
    c.add_argument("--delay", type=float, default=float(os.environ.get("KVSTORE_CLONE_DELAY") or 0),
                   help="seconds the copy takes (KVSTORE_CLONE_DELAY; default 0), the source asked every second")
    for name, help_ in (("status", "exit 0 when the server is ready"), ("get", "read a key"),
                        ("put", "write a key (master)"), ("del", "delete a key (master)"), ("keys", "list all keys")):
        q = sub.add_parser(name, help=help_)
        q.add_argument("--server", "-s", default="", help="HOST:PORT (default: this pod's server)")
        if name in ("get", "put", "del"):
            q.add_argument("key")
        if name == "put":
            q.add_argument("value")
        if name == "status":
            q.add_argument("--json", action="store_true")
            q.add_argument("--timeout", type=float, default=2.0)
        else:
            q.set_defaults(timeout=5.0)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv or ["serve"])  # the image without args: a master
    if args.cmd == "serve":
        return serve(args)
    if args.cmd == "clone":
        return clone(args)
    return client_call(args)


if __name__ == "__main__":
    sys.exit(main())
