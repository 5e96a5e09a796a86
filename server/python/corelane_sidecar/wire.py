"""The frames corelane and the sidecar exchange over a Unix socket.

A frame is a 4-byte big-endian length (of what follows), one byte of kind, a 4-byte
big-endian id, and a JSON payload (UTF-8). The id pairs a CALL with its REPLY; HELLO and
LOG frames carry id 0. `server/src/plugins/wire.rs` is the other side.
"""

import asyncio
import json
import struct

HELLO = 1
CALL = 2
REPLY = 3
LOG = 4

HEADER = struct.Struct(">IBI")
# A frame larger than this is a broken peer, not a request (corelane bounds bodies itself).
MAX_FRAME = 256 * 1024 * 1024


def encode(kind: int, ident: int, payload) -> bytes:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return HEADER.pack(len(body) + 5, kind, ident) + body


async def read_frame(reader: asyncio.StreamReader):
    """The next frame as (kind, id, payload); None at the end of the stream."""
    try:
        head = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError:
        return None
    length, kind, ident = HEADER.unpack(head)
    if length < 5 or length > MAX_FRAME:
        raise ValueError(f"bad frame length {length}")
    body = await reader.readexactly(length - 5)
    return kind, ident, json.loads(body) if body else None
