"""The protobuf wire form of the API server's List and Watch answers, written by hand.

The watch cache keeps each object as the bytes of an apiserver.proto Object (Cached.wrapped).
A ListResponse, WatchEvent or WatchEventBatch is built by concatenating those bytes with a few
field headers, so a large list or a busy watch is not parsed and re-serialized object by object.
Only the rules of the protobuf encoding these messages need are used
(https://protobuf.dev/programming-guides/encoding/):

- A varint holds an unsigned integer 7 bits a byte, least significant group first; every byte
  but the last has its high bit (0x80) set. 0 is the single byte 0x00; 300 is 0xAC 0x02.
- Every field is a tag then a value. The tag is the varint (field_number << 3 | wire_type).
- Strings, bytes and embedded messages are wire type 2 (LEN): the tag, the varint length of the
  payload in bytes, then the payload. A string's payload is its UTF-8 encoding; a message's is
  its own serialization. A repeated message field is the same field written once per element.
- A message is the concatenation of its fields; a parser accepts them in any order. Proto3
  parsers read an empty string written explicitly (tag, length 0) as the default, so writing it
  is harmless though the generated code would leave it out.

tests/unit/apiserver/test_wire.py checks every shape below against the generated messages.
"""
from __future__ import annotations

from collections.abc import Iterable

LEN = 2  # the wire type of strings, bytes and embedded messages


def varint(n: int) -> bytes:
    """The varint encoding of n >= 0."""
    if n < 0:
        raise ValueError(f"varint: {n} is negative")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num: int, payload: bytes) -> bytes:
    """Field num, wire type LEN: a string's UTF-8 bytes or an embedded message's serialization."""
    return varint(num << 3 | LEN) + varint(len(payload)) + payload


def watch_event(etype: str, wrapped: bytes, rev: int) -> bytes:
    """A WatchEvent: type (1), the Object's serialization (2), resource_version (3)."""
    return field(1, etype.encode()) + field(2, wrapped) + field(3, str(rev).encode())


def bookmark(rev: int) -> bytes:
    """A BOOKMARK WatchEvent: no object, resource_version the cache's revision."""
    return field(1, b"BOOKMARK") + field(3, str(rev).encode())


def batch_entry(event: bytes) -> bytes:
    """One WatchEvent (already encoded) as an entry of a WatchEventBatch's events (1); a batch is
    the concatenation of its entries."""
    return field(1, event)


def list_response(items: Iterable[bytes], rev: int) -> bytes:
    """A ListResponse: each Object's serialization as an item (1), then resource_version (2)."""
    return b"".join(field(1, w) for w in items) + field(2, str(rev).encode())
