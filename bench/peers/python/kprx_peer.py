"""Benchmark peer: the upstream Python thin client (katzenpost_thinclient from
PyPI) running the same workload as the SDK — `next_message_box_index` with W
requests in flight — driven by the benchmark over stdin/stdout JSON lines.

    python kprx_peer.py thinclient.toml
    <- {"ready": true}
    -> {"cmd": "run", "count": 2000, "inFlight": 64, "index": "<hex>"}
    <- {"ms": 123.4, "count": 2000}
    -> {"cmd": "quit"}

Logging: the client's logger is set to WARNING, as an application that
configures logging would; at its default (DEBUG, no handler) every request
still builds two LogRecords. Our code, not upstream's.
"""
import asyncio
import json
import logging
import sys
import time

from katzenpost_thinclient import Config, ThinClient


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def run(client, index, count, in_flight):
    remaining = count

    async def worker():
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            nxt = await client.next_message_box_index(index)
            if len(nxt) != len(index):
                raise RuntimeError(f"unexpected reply of {len(nxt)} bytes")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(in_flight, count))))
    return (time.perf_counter() - started) * 1000


async def main(config_path):
    loop = asyncio.get_running_loop()
    client = ThinClient(Config(config_path))
    client.logger.setLevel(logging.WARNING)
    await client.start(loop)
    say({"ready": True})

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        try:
            ms = await run(client, bytes.fromhex(cmd["index"]), cmd["count"], cmd["inFlight"])
            say({"ms": ms, "count": cmd["count"]})
        except Exception as error:  # reported to the benchmark, which prints it
            say({"error": repr(error)})
    client.stop()


asyncio.run(main(sys.argv[1]))
