"""The frames corelane and the sidecar exchange over a Unix socket.

A frame is a 4-byte big-endian length (of what follows), one byte of kind, a 4-byte
big-endian id, and a payload. The id pairs a CALL with its REPLY; HELLO and LOG frames carry
id 0. HELLO, CALL and REPLY carry JSON; a LOG frame carries events of six parts each
(`log_events`). `server/src/plugins/wire.rs` is the other side.
"""

import asyncio
import json
import struct

HELLO = 1
CALL = 2
REPLY = 3
LOG = 4

HEADER = struct.Struct(">IBI")
PART = struct.Struct(">I")
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
    if kind == LOG:
        return kind, ident, body
    return kind, ident, json.loads(body) if body else None


def log_events(payload: bytes):
    """The events of a LOG frame, each as the facts a core wrote (JSON) plus `key` (the
    caller's `UserAPIKeyAuth` fields), `head` (the raw request head, as text), `request` and
    `response` (the bodies, None when empty or not JSON) and `stream_events` (the stream's
    server-sent events as the client got them, bytes). Each of the six parts is a 4-byte
    big-endian length and its bytes, copied by the core as they were."""
    pos, end = 0, len(payload)
    while pos < end:
        parts = []
        for _ in range(6):
            if pos + 4 > end:
                raise ValueError("a LOG event ends early")
            (size,) = PART.unpack_from(payload, pos)
            pos += 4
            if pos + size > end:
                raise ValueError("a LOG event ends early")
            parts.append(payload[pos : pos + size])
            pos += size
        facts, key, head, request, response, stream = parts
        event = json.loads(facts)
        event["key"] = json.loads(key) if key else {}
        event["head"] = head.decode("utf-8", "replace")
        event["request"] = json_or_none(request)
        event["response"] = json_or_none(response)
        event["stream_events"] = stream
        yield event


def json_or_none(raw: bytes):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        # Not JSON, or nested deeper than Python parses.
        return None
