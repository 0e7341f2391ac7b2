"""The Redis store: objects, one global revision, and an event stream.

Layout (prefix ``kl:``):
  ``rev``             the global revision counter; its value is the newest resourceVersion
  ``obj:<Kind>``      hash ``namespace/name`` -> serialized object (resourceVersion not inside)
  ``rv:<Kind>``       hash ``namespace/name`` -> resourceVersion of that object
  ``events``          stream; entry id ``<rev>-0``, one field ``c``: ``<type> <kind> <key>\n<data>``
  ``req:<id>``        the key a Create with that request id wrote; expires after REQUEST_ID_TTL
  ``service-allocations``  hash ClusterIP, or ``nodeport:<port>``, -> ``namespace/name`` of the Service holding it

Every write is one Lua script: check the expected resourceVersion, bump the revision,
store or remove the object, append the change to the stream (trimmed to about
``history`` entries). A conflict is an expected result, reported by exception.

A write may also claim and release ClusterIPs and NodePorts in the same script (`claims`, `releases`): a
value held by another Service fails the whole write (`Taken`), so two API servers creating Services at
the same moment can never hand out one address or port twice, and nothing is held by a Service that
was not stored. Releases only drop values this object holds.

Writes that arrive while another is on its way to Redis go together: one pipeline of script calls,
one round trip, sent by the Store's own sender task (`_Batcher`). Each write is still its own script
run, atomic alone, with its own answer; only the cost of getting them to Redis and back is shared.

A create may carry the caller's request id. The script records which key it created under it, and a
second create with the same id writes nothing and reports that key (`Replayed`): a client that retries
after losing the answer (Redis timed out after applying the write, the connection broke on the way
back) gets the first attempt's object instead of a duplicate.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Iterable

import redis.asyncio as aioredis
from hiredis import pack_command
from redis.exceptions import ConnectionError as RedisConnectionError, NoScriptError, ResponseError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

PREFIX = "kl:"
REV = PREFIX + "rev"
STREAM = PREFIX + "events"
SERVICE_ALLOCATIONS = PREFIX + "service-allocations"

_WRITE = """
local op = ARGV[2]
if op == 'create' and ARGV[7] ~= '' then
  local prior = redis.call('GET', KEYS[5])
  if prior then return {-4, prior} end
end
for item in string.gmatch(ARGV[9], '%S+') do
  local holder = redis.call('HGET', KEYS[6], item)
  if holder and holder ~= ARGV[1] then return {-5, item} end
end
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if op == 'create' then
  if cur then return {-1, cur} end
else
  if not cur then return {-2, ''} end
  if ARGV[3] ~= '' and ARGV[3] ~= cur then return {-3, cur} end
end
local rev = redis.call('INCR', KEYS[3])
local etype = 'MODIFIED'
if op == 'create' then etype = 'ADDED' elseif op == 'delete' then etype = 'DELETED' end
if op == 'delete' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[1], rev)
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], rev .. '-0',
           'c', etype .. ' ' .. ARGV[6] .. ' ' .. ARGV[1] .. '\\n' .. ARGV[4])
if op == 'create' and ARGV[7] ~= '' then
  redis.call('SET', KEYS[5], ARGV[1], 'EX', ARGV[8])
end
for item in string.gmatch(ARGV[10], '%S+') do
  if redis.call('HGET', KEYS[6], item) == ARGV[1] then redis.call('HDEL', KEYS[6], item) end
end
for item in string.gmatch(ARGV[9], '%S+') do
  redis.call('HSET', KEYS[6], item, ARGV[1])
end
return {rev, ''}
"""


class StoreError(Exception):
    """Base of the store's expected outcomes."""


class KeyExists(StoreError):
    pass


class KeyNotFound(StoreError):
    pass


class Replayed(StoreError):
    """A create whose request id was used before: nothing written; `key` is what the first one created."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class Taken(StoreError):
    """A claimed ClusterIP or NodePort is held by another Service: nothing written."""

    def __init__(self, item: str):
        super().__init__(item)
        self.item = item


class RevisionConflict(StoreError):
    def __init__(self, current: int):
        super().__init__(current)
        self.current = current


@dataclass(frozen=True)
class Change:
    """One entry of the event stream."""
    rev: int
    type: str  # ADDED, MODIFIED, DELETED
    kind: str
    key: str
    data: bytes


@dataclass
class Snapshot:
    rev: int
    objects: dict[str, dict[str, tuple[bytes, int]]]
    history: list[Change]


def _obj(kind: str) -> str:
    return f"{PREFIX}obj:{kind}"


def _rv(kind: str) -> str:
    return f"{PREFIX}rv:{kind}"


def _pairs(fields: list | dict) -> dict:
    """A stream entry's fields as Redis sends them (a flat list of field, value) as a dict."""
    return fields if isinstance(fields, dict) else dict(zip(fields[::2], fields[1::2]))


def _change(entry_id: bytes, fields: dict[bytes, bytes]) -> Change:
    """A stream entry. Its one field packs type, kind and key (none has a space or a newline: keys are
    validated names) before the data: every API server reads every entry back, and the parse
    and the Python objects it makes go by the number of fields, so one field costs less than four."""
    rev = int(entry_id.split(b"-")[0])
    packed = fields.get(b"c")
    if packed is None:  # an entry of the four-field form, written before (a Redis kept across an upgrade)
        return Change(rev, fields[b"type"].decode(), fields[b"kind"].decode(), fields[b"key"].decode(),
                      fields[b"data"])
    head, _, data = packed.partition(b"\n")
    etype, kind, key = head.decode().split(" ", 2)
    return Change(rev, etype, kind, key, data)


REQUEST_ID_TTL = 600  # seconds a create's request id is remembered: far longer than any client retries
SOCKET_TIMEOUT = 5.0  # seconds; read_changes blocks for at most READ_BLOCK_MAX_MS of it
READ_BLOCK_MAX_MS = 2000


class _Line:
    """One connection of the client's pool, kept by one task for commands sent back to back: the
    writes' sender, the watch cache's stream reads. redis-py's client and Pipeline take a connection
    from the pool, wrap it in a retry and a deprecation shim and release it again on every call, which
    was about a tenth of a create's CPU in the API server; here the commands are packed, sent in one
    system call and their replies read in order, nothing else (hiredis packs them: every argument is a str,
    bytes or int, which redis-py's encoder would only pass through). A reply that is an error (a script
    Redis no longer has) is that command's answer; anything else that goes wrong (a timeout, a broken
    connection, the task cancelled) drops the connection, so no reply is ever left on it for the next
    exchange, and the next exchange connects again. Exchanges take turns (a lock), though each line has
    one user."""

    def __init__(self, redis: aioredis.Redis):
        self.pool = redis.connection_pool
        self.conn = None
        self._turn = asyncio.Lock()

    async def exchange(self, commands: list[tuple]) -> list:
        async with self._turn:
            return await self._exchange(commands)

    async def _exchange(self, commands: list[tuple]) -> list:
        if self.conn is None:
            self.conn = await self.pool.get_connection()
        conn = self.conn
        # As the pool does on every checkout: a connection Redis closed while it was idle here (a
        # restart) is replaced before anything is sent, so the first writes after it do not fail.
        await self.pool.ensure_connection(conn)
        try:
            await conn.send_packed_command(b"".join([pack_command(c) for c in commands]))
            answers = []
            for _ in commands:
                try:
                    answers.append(await conn.read_response())
                except ResponseError as e:
                    answers.append(e)
            return answers
        except BaseException:
            await conn.disconnect(nowait=True)
            raise

    async def close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            await self.pool.release(conn)


class _Batcher:
    """Calls of one Lua script, sent to Redis in pipelines: whatever is queued when the previous
    pipeline's answers are back goes in the next one (at most MAX_BATCH calls).

    Under load this is what most of a write's client-side cost was: taking a connection from the
    pool, a send system call and a timeout per command. A call that finds nothing on its way goes
    without waiting. The pipeline is sent by one task the Store owns, so a caller that is cancelled
    (its client gone) never cuts off the others' writes. A connection error or timeout fails every
    call of the pipeline (whether Redis applied them is unknown, as for a single call); nothing is
    retried, except calls Redis answered NOSCRIPT (not run: its script cache was emptied), once,
    after loading the script again.
    """

    MAX_BATCH = 128

    def __init__(self, redis: aioredis.Redis, script: str):
        self.redis = redis
        self.script = script
        self.sha = redis.register_script(script).sha
        self._line = _Line(redis)
        self._queue: list[tuple[tuple, tuple, asyncio.Future]] = []
        self._sender: asyncio.Task | None = None

    async def call(self, keys: tuple, args: tuple):
        fut = asyncio.get_running_loop().create_future()
        self._queue.append((keys, args, fut))
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_all())
        return await fut

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            try:
                await self._sender
            except asyncio.CancelledError:
                pass
        _fail(self._queue, RedisConnectionError("the store was closed"))  # a sender cancelled before it ran
        self._queue = []
        await self._line.close()

    async def _send_all(self) -> None:
        batch: list = []
        retried: set[asyncio.Future] = set()
        try:
            while self._queue:
                batch, self._queue = self._queue[:self.MAX_BATCH], self._queue[self.MAX_BATCH:]
                try:
                    answers = await self._send(batch)
                except Exception as e:  # every caller of the pipeline hears of it
                    _fail(batch, e)
                    continue
                batch = _answer(batch, answers, retried)
                if batch:
                    await self._load_script_for(batch)
        except BaseException as e:  # the Store closing (cancelled), or a bug here: no caller is left waiting
            _fail(batch + self._queue, e if isinstance(e, Exception) else RedisConnectionError("the store was closed"))
            self._queue = []
            if not isinstance(e, Exception):
                raise
        finally:
            self._sender = None

    async def _load_script_for(self, calls: list) -> None:
        """Load the script again and put the calls Redis answered NOSCRIPT first in line."""
        try:
            await self.redis.script_load(self.script)
        except Exception as e:
            _fail(calls, e)
            return
        self._queue[:0] = calls

    async def _send(self, batch: list) -> list:
        return await self._line.exchange([("EVALSHA", self.sha, len(keys), *keys, *args) for keys, args, _ in batch])


def _answer(batch: list, answers: list, retried: set[asyncio.Future]) -> list:
    """Give each caller its answer, except the calls Redis answered NOSCRIPT for the first time: those
    are returned, to go again (a second NOSCRIPT is the caller's answer)."""
    retry = [call for call, answer in zip(batch, answers)
             if isinstance(answer, NoScriptError) and call[2] not in retried]
    waiting = {fut for _, _, fut in retry}
    retried |= waiting
    for (_, _, fut), answer in zip(batch, answers):
        if fut.done() or fut in waiting:
            continue
        if isinstance(answer, Exception):
            fut.set_exception(answer)
        else:
            fut.set_result(answer)
    return retry


def _fail(calls: list, error: Exception) -> None:
    for _, _, fut in calls:
        if not fut.done():
            fut.set_exception(error)


class Store:
    def __init__(self, url: str, history: int = 10000):
        self.url = url
        self.history = history
        # Nothing waits on Redis unboundedly: a paused Redis or a connection whose packets are lost must
        # turn into an error within SOCKET_TIMEOUT (longer than the stream reads' BLOCK), so the API server
        # reports NOT_SERVING and recovers when Redis answers again. redis-py's own retries are off: a
        # write whose reply was lost must surface as unavailable, never be applied twice.
        self.redis = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=SOCKET_TIMEOUT,
                                             socket_keepalive=True, health_check_interval=5,
                                             retry=Retry(NoBackoff(), 0))
        self._writes = _Batcher(self.redis, _WRITE)
        self._reads = _Line(self.redis)

    async def close(self) -> None:
        await self._writes.close()
        await self._reads.close()
        await self.redis.aclose()

    async def _run(self, op: str, kind: str, key: str, data: bytes, expected: str = "", request_id: str = "",
                   claims: Iterable[str] = (), releases: Iterable[str] = ()) -> int:
        res = await self._writes.call((_obj(kind), _rv(kind), REV, STREAM, f"{PREFIX}req:{request_id}",
                                       SERVICE_ALLOCATIONS),
                                      (key, op, expected, data, self.history, kind, request_id, REQUEST_ID_TTL,
                                       " ".join(claims), " ".join(releases)))
        code = int(res[0])
        if code == -5:
            raise Taken(res[1].decode())
        if code == -4:
            raise Replayed(res[1].decode())
        if code == -1:
            raise KeyExists(key)
        if code == -2:
            raise KeyNotFound(key)
        if code == -3:
            raise RevisionConflict(int(res[1]))
        return code

    async def create(self, kind: str, key: str, data: bytes, request_id: str = "", claims: Iterable[str] = ()) -> int:
        """Store a new object; raises KeyExists, Taken, or Replayed when request_id was used before."""
        return await self._run("create", kind, key, data, request_id=request_id, claims=claims)

    async def update(self, kind: str, key: str, data: bytes, expected_rv: int | None,
                     claims: Iterable[str] = (), releases: Iterable[str] = ()) -> int:
        """Replace an object; with expected_rv, only if it is still at that revision."""
        return await self._run("update", kind, key, data, "" if expected_rv is None else str(expected_rv),
                               claims=claims, releases=releases)

    async def delete(self, kind: str, key: str, last_state: bytes, expected_rv: int | None,
                     releases: Iterable[str] = ()) -> int:
        """Remove an object; the DELETED event carries last_state."""
        return await self._run("delete", kind, key, last_state,
                               "" if expected_rv is None else str(expected_rv), releases=releases)

    async def bootstrapped(self, name: str) -> bool:
        """Whether the one-time bootstrap step `name` ran on this store (see bootstrap.py)."""
        return bool(await self.redis.exists(f"{PREFIX}bootstrapped:{name}"))

    async def mark_bootstrapped(self, name: str) -> None:
        await self.redis.set(f"{PREFIX}bootstrapped:{name}", 1)

    async def held_among(self, items: list[str]) -> set[str]:
        """Which of these ClusterIPs and `nodeport:<port>`s are held now."""
        holders = await self.redis.hmget(SERVICE_ALLOCATIONS, items) if items else []
        return {item for item, holder in zip(items, holders) if holder is not None}

    async def get(self, kind: str, key: str) -> tuple[bytes, int] | None:
        async with self.redis.pipeline(transaction=True) as pipe:
            data, rv = await pipe.hget(_obj(kind), key).hget(_rv(kind), key).execute()
        if data is None or rv is None:
            return None
        return data, int(rv)

    async def exists(self, kind: str, key: str) -> bool:
        return bool(await self.redis.hexists(_rv(kind), key))

    async def current_revision(self) -> int:
        return int(await self.redis.get(REV) or 0)

    async def snapshot(self, kinds: Iterable[str]) -> Snapshot:
        """Every object, the revision and the retained history, read atomically."""
        kinds = list(kinds)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(REV)
            for kind in kinds:
                pipe.hgetall(_obj(kind))
                pipe.hgetall(_rv(kind))
            pipe.xrange(STREAM)
            res = await pipe.execute()
        objects: dict[str, dict[str, tuple[bytes, int]]] = {}
        for i, kind in enumerate(kinds):
            datas, rvs = res[1 + 2 * i], res[2 + 2 * i]
            objects[kind] = {k.decode(): (v, int(rvs[k])) for k, v in datas.items() if k in rvs}
        history = [_change(eid, f) for eid, f in res[-1]]
        return Snapshot(int(res[0] or 0), objects, history)

    async def read_changes(self, after: int, block_ms: int, count: int = 1000) -> list[Change]:
        """Changes with revision > after, waiting up to block_ms for the first one."""
        [res] = await self._reads.exchange([("XREAD", "COUNT", count, "BLOCK", min(block_ms, READ_BLOCK_MAX_MS),
                                             "STREAMS", STREAM, f"{after}-0")])
        if not res:  # nil: nothing came within block_ms
            return []
        [entries] = res.values() if isinstance(res, dict) else [res[0][1]]  # RESP3 a map, RESP2 [[stream, entries]]
        return [_change(eid, _pairs(fields)) for eid, fields in entries]

    async def oldest_revision(self) -> int | None:
        first = await self.redis.xrange(STREAM, count=1)
        return int(first[0][0].split(b"-")[0]) if first else None
