"""CRI log files read back as kubectl shows them."""
import asyncio

from services.kubelet.containerlogs import follow, parse_line, read_log, render

RAW = (b"2024-01-02T03:04:05.000000001Z stdout F one\n"
       b"2024-01-02T03:04:06.000000000Z stderr P par\n"
       b"2024-01-02T03:04:06.500000000Z stderr F tial\n"
       b"2024-01-02T03:04:07.000000000Z stdout F three\n")


def lines():
    return [parse_line(r) for r in RAW.splitlines()]


def test_render():
    assert render(lines()) == b"one\npartial\nthree\n"
    assert render(lines(), tail=2) == b"partial\nthree\n"
    assert render(lines(), tail=0) == b""
    assert render(lines(), tail=10) == b"one\npartial\nthree\n"
    assert render(lines(), timestamps=True).startswith(b"2024-01-02T03:04:05.000000001Z one\n")
    since = lines()[3].epoch
    assert render(lines(), since=since) == b"three\n"


def test_read_and_follow(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(RAW + b"2024-01-02T03:04:08Z stdout F incompl")
    got, offset = read_log(path)
    assert len(got) == 4 and offset == len(RAW)
    alive = [True]

    async def collect():
        out = b""
        async for chunk in follow(path, offset, lambda: alive[0], interval=0.01):
            out += chunk
            if b"four" in out:
                alive[0] = False
        return out
    with open(path, "ab") as f:
        f.write(b"ete four\n")
    assert asyncio.run(collect()) == b"incomplete four\n"
