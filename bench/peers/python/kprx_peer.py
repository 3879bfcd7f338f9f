"""Benchmark peer: the upstream Python thin client (katzenpost_thinclient from
PyPI) running the same workload as the SDK — `next_message_box_index` with W
requests in flight — driven by the benchmark over stdin/stdout JSON lines.

    python kprx_peer.py thinclient.toml
    <- {"ready": true}
    -> {"cmd": "run", "count": 2000, "inFlight": 64, "index": "<hex>"}
    <- {"ms": 123.4, "count": 2000}
    -> {"cmd": "pigeonhole", "size": 1000}      (R2: on a live mixnet)
    <- {"ms": 9876.5}
    -> {"cmd": "quit"}

`pigeonhole` writes one box of `size` random bytes to a new channel and
reads it back — new_keypair, encrypt_write, start_resending_encrypted_message,
encrypt_read, start_resending_encrypted_message — the same two operations
the SDK's `write` and `read` make, and replies with their wall time.

Logging: the client's logger is set to WARNING, as an application that
configures logging would; at its default (DEBUG, no handler) every request
still builds two LogRecords. Our code, not upstream's.
"""
import asyncio
import json
import logging
import os
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


async def pigeonhole_round_trip(client, size):
    plaintext = os.urandom(size)
    started = time.perf_counter()
    keys = await client.new_keypair(os.urandom(32))
    sealed = await client.encrypt_write(plaintext, keys.write_cap, keys.first_message_index)
    await client.start_resending_encrypted_message(
        None, keys.write_cap, None, None, sealed.envelope_descriptor, sealed.message_ciphertext, sealed.envelope_hash)
    query = await client.encrypt_read(keys.read_cap, keys.first_message_index)
    result = await client.start_resending_encrypted_message(
        keys.read_cap, None, keys.first_message_index, None, query.envelope_descriptor, query.message_ciphertext, query.envelope_hash)
    ms = (time.perf_counter() - started) * 1000
    if bytes(result.plaintext) != plaintext:
        raise RuntimeError("read back something else than was written")
    return ms


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
            if cmd["cmd"] == "pigeonhole":
                say({"ms": await pigeonhole_round_trip(client, cmd["size"])})
                continue
            ms = await run(client, bytes.fromhex(cmd["index"]), cmd["count"], cmd["inFlight"])
            say({"ms": ms, "count": cmd["count"]})
        except Exception as error:  # reported to the benchmark, which prints it
            say({"error": repr(error)})
    client.stop()


asyncio.run(main(sys.argv[1]))
