"""The gRPC health check (grpc.health.v1.Health/Check) spoken over a bare HTTP/2 socket, without grpcio.

`kubelab ps` shows every process' health; importing grpcio costs it more than all its other work, so it
asks this way (issue 19: `kubelab ps` imports no gRPC). `kubelab.cluster.healthcheck.check_health` is the
same question asked through grpcio (the launcher, compose and the tests use it); tests/unit/test_h2health.py
checks that both give the same answers against a real grpcio server.

One call is one connection: the client preface and an empty SETTINGS frame, the request as one HEADERS
frame (HPACK: static-table indexes and literals without Huffman coding, which every decoder must accept)
and one DATA frame ending the stream; then frames are read until the stream ends. The answer, as
check_health gives it:

- grpc-status 0 (OK): the response message's status (SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN);
- grpc-status 5 (NOT_FOUND, the health protocol's answer for a service it does not know): NOT_SERVING;
- any other grpc-status, no connection, a reset stream, GOAWAY or no answer within the timeout: "unreachable".

The trailers are decoded by a small HPACK reader (RFC 7541: indexed fields, literals, the dynamic table);
a Huffman-coded string is not decoded (grpcio's servers send grpc-status as a plain literal); if the
status cannot be read, a message decides (its status) and its absence means NOT_SERVING.
"""

from __future__ import annotations

import socket
import struct
import time

from kubelab.cluster.ports import split

__all__ = ["NOT_SERVING", "SERVING", "UNREACHABLE", "check_health"]

SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"
UNREACHABLE = "unreachable"

#: grpc.health.v1.HealthCheckResponse.ServingStatus, by number.
STATUS_NAMES = {0: "UNKNOWN", 1: SERVING, 2: NOT_SERVING, 3: "SERVICE_UNKNOWN"}

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
STREAM = 1
PATH = "/grpc.health.v1.Health/Check"


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + struct.pack(">I", stream) + payload


def _int(value: int, prefix_bits: int, first: int) -> bytes:
    """HPACK integer (RFC 7541 5.1), the first byte's high bits being `first`."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return _int(len(raw), 7, 0) + raw


def request_headers(authority: str) -> bytes:
    """The header block: :method POST (static 3), :scheme http (static 6), :path and :authority and
    content-type as literals with indexed names (static 4, 1, 31), te as a literal with a new name."""
    return (b"\x83\x86" + _int(4, 4, 0) + _string(PATH) + _int(1, 4, 0) + _string(authority)
            + _int(31, 4, 0) + _string("application/grpc") + b"\x00" + _string("te") + _string("trailers"))


def request_message(service: str) -> bytes:
    """A gRPC message (uncompressed, length-prefixed) holding HealthCheckRequest{service}."""
    raw = service.encode()
    body = (b"\x0a" + _varint(len(raw)) + raw) if raw else b""
    return b"\x00" + struct.pack(">I", len(body)) + body


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def response_status(message: bytes) -> str:
    """The status of a length-prefixed HealthCheckResponse (field 1, a varint; absent: UNKNOWN)."""
    body, pos, status = message[5:], 0, 0
    while pos < len(body):
        key, pos = _read_varint(body, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(body, pos)
            if number == 1:
                status = value
        elif wire == 2:
            size, pos = _read_varint(body, pos)
            pos += size
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:
            raise ValueError(f"wire type {wire}")
    return STATUS_NAMES.get(status, str(status))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 128:
            return value, pos


def check_health(addr: str, timeout: float = 1.0, service: str = "") -> str:
    """SERVING, NOT_SERVING (or another status name the server sent), or "unreachable"."""
    deadline = time.monotonic() + timeout
    try:
        host, port = split(addr)
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(PREFACE + frame(SETTINGS, 0, 0)
                         + frame(HEADERS, END_HEADERS, STREAM, request_headers(addr))
                         + frame(DATA, END_STREAM, STREAM, request_message(service)))
            return _answer(sock, deadline)
    except (OSError, ValueError, IndexError, struct.error):
        return UNREACHABLE


def _answer(sock: socket.socket, deadline: float) -> str:
    buf, message, block, ended = b"", b"", b"", False
    headers = HeaderReader()
    while True:
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return UNREACHABLE
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                return UNREACHABLE
            buf += chunk
        size = int.from_bytes(buf[:3], "big")
        kind, flags = buf[3], buf[4]
        stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        payload, buf = buf[9:9 + size], buf[9 + size:]
        if kind == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == PING and not flags & ACK:
            sock.sendall(frame(PING, ACK, 0, payload))
        elif kind == GOAWAY or (kind == RST_STREAM and stream == STREAM):
            return UNREACHABLE
        elif stream == STREAM and kind in (DATA, HEADERS, CONTINUATION):
            if kind in (DATA, HEADERS):
                if flags & PADDED:
                    payload = payload[1:len(payload) - payload[0]]
                ended = ended or bool(flags & END_STREAM)
            if kind == DATA:
                message += payload
            else:
                if kind == HEADERS and flags & PRIORITY:
                    payload = payload[5:]
                block += payload
                if flags & END_HEADERS:
                    headers.read(block)
                    block = b""
            if ended and not block:
                return _status(headers.fields.get("grpc-status"), message)


def _status(code: str | None, message: bytes) -> str:
    if code is None or code == "0":
        if len(message) >= 5:
            return response_status(message)
        return NOT_SERVING if code is None else "UNKNOWN"
    return NOT_SERVING if code == "5" else UNREACHABLE


class HeaderReader:
    """The literal fields of a connection's header blocks, by name (RFC 7541), the dynamic table kept.
    Names and values that are Huffman-coded, or static-table entries, are not resolved (not needed)."""

    def __init__(self):
        self.table: list[tuple[str | None, str | None]] = []  # dynamic table, newest first
        self.fields: dict[str, str] = {}

    def _entry(self, index: int) -> tuple[str | None, str | None]:
        if index > 61 and index - 62 < len(self.table):
            return self.table[index - 62]
        return None, None

    def read(self, block: bytes) -> None:
        pos = 0
        while pos < len(block):
            byte = block[pos]
            if byte & 0x80:  # indexed field
                index, pos = _hpack_int(block, pos, 7)
                name, value = self._entry(index)
            elif byte & 0xE0 == 0x20:  # dynamic table size update
                _, pos = _hpack_int(block, pos, 5)
                continue
            else:
                indexing = bool(byte & 0x40)
                index, pos = _hpack_int(block, pos, 6 if indexing else 4)
                if index:
                    name = self._entry(index)[0]
                else:
                    name, pos = _hpack_string(block, pos)
                value, pos = _hpack_string(block, pos)
                if indexing:
                    self.table.insert(0, (name, value))
            if name is not None and value is not None:
                self.fields[name] = value


def _hpack_int(data: bytes, pos: int, prefix_bits: int) -> tuple[int, int]:
    limit = (1 << prefix_bits) - 1
    value = data[pos] & limit
    pos += 1
    if value < limit:
        return value, pos
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value += (byte & 0x7F) << shift
        shift += 7
        if byte < 128:
            return value, pos


def _hpack_string(data: bytes, pos: int) -> tuple[str | None, int]:
    huffman = bool(data[pos] & 0x80)
    size, pos = _hpack_int(data, pos, 7)
    raw = data[pos:pos + size]
    return (None if huffman else raw.decode("latin-1")), pos + size
