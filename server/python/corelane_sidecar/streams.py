"""A stream through the plugins' streaming hooks, as LiteLLM 1.108.7's proxy runs them:
the chunks go through each callback's `async_post_call_streaming_iterator_hook` (chained,
in order; what the last yields is what the client gets), then each yielded chunk through
every `async_post_call_streaming_hook(user_api_key_dict, response)`, which gets the text so
far and may replace the chunk (a string is sent as a raw `data:` frame).

corelane feeds the stream one chunk per call (`stream_chunk`), as it reads it, and ends it
(`stream_end`); each call answers what the client gets now: the chunks the hooks let out
since the last call, each `{"same": true}` (the chunk fed in this call, unchanged: its bytes
go as they came), `{"chunk": {...}}` or `{"raw": "..."}`.

An Anthropic `/v1/messages` stream (a raw session) reaches the iterator hooks as LiteLLM
1.108.7 passes it: the bytes of each read; what they yield goes out as it is (`{"bytes":
"..."}`), and the per-chunk hook is not called.
"""

import asyncio
import json
import time

from . import hooks

# Sessions not ended within this long (the client left) are dropped.
STALE_SECONDS = 600


def chunk_object(chunk):
    """A chunk as hooks receive it: LiteLLM's `ModelResponseStream` where it is installed."""
    try:
        import litellm

        return litellm.ModelResponseStream(**chunk)
    except Exception:  # noqa: BLE001: the shim, or a chunk LiteLLM's type refuses
        return hooks.Response(chunk)


def dump(obj):
    if hasattr(obj, "model_dump"):
        return obj.model_dump(exclude_none=True)
    return hooks.unwrap(obj)


def chunk_text(obj):
    try:
        choices = obj["choices"] if isinstance(obj, dict) else obj.choices
        delta = choices[0]["delta"] if isinstance(choices[0], dict) else choices[0].delta
        content = delta["content"] if isinstance(delta, dict) else delta.content
        return content if isinstance(content, str) else ""
    except (AttributeError, IndexError, KeyError, TypeError):
        return ""


class StreamSession:
    def __init__(self, runtime, data, key, raw=False):
        # A raw session (an Anthropic `/v1/messages` stream) passes each read's bytes to
        # the iterator hooks, as LiteLLM does; its per-chunk hooks are not called.
        self.raw = raw
        self.runtime = runtime
        self.key = key
        self.data = data
        self.inq = asyncio.Queue()
        self.out = []
        # The hooks want the next chunk (`waiting`) after taking `taken` of them; `changed`
        # says either moved.
        self.waiting = False
        self.taken = 0
        self.fed = 0
        self.changed = asyncio.Event()
        self.finished = asyncio.Event()
        self.error = None
        self.so_far = ""
        self.current = None
        self.started = time.monotonic()
        stream = self.upstream()
        iterators = [
            p for p in runtime.plugins if "async_post_call_streaming_iterator_hook" in p.hooks
        ]
        for plugin in iterators:
            stream = plugin.obj.async_post_call_streaming_iterator_hook(
                user_api_key_dict=key, response=stream, request_data=data
            )
        self.chunk_hooks = [
            p
            for p in runtime.plugins
            if "async_post_call_streaming_hook" in p.hooks and not raw
        ]
        # How long a chunk may take through the hooks: each plugin's timeout, added up.
        hooked = iterators + [p for p in self.chunk_hooks if p not in iterators]
        self.names = ", ".join(p.name for p in hooked)
        self.limit = sum(p.timeout for p in hooked)
        self.task = asyncio.get_running_loop().create_task(self.consume(stream))

    async def upstream(self):
        while True:
            self.waiting = True
            self.changed.set()
            item = await self.inq.get()
            self.waiting = False
            self.taken += 1
            if item is None:
                return
            yield item

    async def consume(self, stream):
        try:
            async for chunk in stream:
                self.out.append(await self.through_chunk_hooks(chunk))
        except Exception as e:  # noqa: BLE001: the stream's failure, answered to corelane
            self.error = e
        finally:
            self.finished.set()
            self.changed.set()

    async def through_chunk_hooks(self, chunk):
        if self.raw:
            if self.current is not None and chunk is self.current[0]:
                return {"same": True}
            if isinstance(chunk, (bytes, bytearray)):
                return {"bytes": bytes(chunk).decode("utf-8", "replace")}
            if isinstance(chunk, str):
                return {"bytes": chunk}
            return {"bytes": f"data: {json.dumps(dump(chunk), default=str)}\n\n"}
        self.so_far += chunk_text(chunk)
        for plugin in self.chunk_hooks:
            replaced = await hooks.bounded(
                plugin,
                plugin.obj.async_post_call_streaming_hook(
                    user_api_key_dict=self.key, response=self.so_far
                ),
            )
            if replaced is not None:
                chunk = replaced
        if isinstance(chunk, str):
            return {"raw": chunk}
        if self.current is not None and chunk is self.current[0] and dump(chunk) == self.current[1]:
            return {"same": True}
        return {"chunk": dump(chunk)}

    async def settled(self, mine):
        """Until the hooks took chunk `mine` and want the next, or the stream ended."""
        while not self.finished.is_set() and not (self.taken >= mine and self.waiting):
            self.changed.clear()
            await self.changed.wait()

    async def feed(self, chunk):
        """Feeds a chunk (None: the end) and answers what came out before the hooks wanted
        the next one (or ended)."""
        if not self.finished.is_set():
            obj = None
            if chunk is not None and self.raw:
                obj = chunk.encode()
                self.current = (obj, None)
            elif chunk is not None:
                obj = chunk_object(chunk)
                self.current = (obj, dump(obj))
            self.fed += 1
            mine = self.fed
            await self.inq.put(obj)
            try:
                await asyncio.wait_for(self.settled(mine), self.limit or None)
            except asyncio.TimeoutError:
                self.task.cancel()
                self.error = hooks.PluginTimeout(self.names, self.limit)
        out, self.out = self.out, []
        # Only this call's chunk may go as its own bytes.
        self.current = None
        return out


async def open_stream(runtime, payload, data, key):
    now = time.monotonic()
    for call_id, session in list(runtime.streams.items()):
        if now - session.started > STALE_SECONDS:
            session.task.cancel()
            del runtime.streams[call_id]
    runtime.streams[payload.get("call_id")] = StreamSession(
        runtime, data, key, raw=payload.get("raw") is True
    )
    return {}


async def feed(runtime, payload, end):

    call_id = payload.get("call_id")
    session = runtime.streams.get(call_id)
    if session is None:
        return {"error": hooks.error_of(ValueError("no such stream"))}
    out = await session.feed(None if end else payload.get("raw" if session.raw else "chunk"))
    if end or session.error is not None:
        runtime.streams.pop(call_id, None)
    if isinstance(session.error, hooks.PluginTimeout):
        return {"out": out, **hooks.late(session.error)}
    if session.error is not None:
        return {"out": out, "error": stream_error(session.error)}
    return {"out": out}


def stream_error(e):
    """What a client gets, as LiteLLM 1.108.7 answers it, when a stream's hooks raise:
    `{"status", "error", "before", "after"}`, the error object for a JSON answer, and the
    event-stream text to answer instead before the first byte (`before`: an HTTPException's,
    then `[DONE]`) or to add after it (`after`: an error event; none for an HTTPException,
    whose stream LiteLLM cuts, closing the connection)."""
    if hooks.is_http_exception(e):
        failure = hooks.error_of(e)
        event = f"data: {json.dumps({'error': failure['error']})}\n\n"
        return dict(failure, before=event + "data: [DONE]\n\n", after=None)
    error = {"message": str(e), "type": "None", "param": "None", "code": "500"}
    after = f"data: {json.dumps({'error': error})}\n\n"
    return {"status": 500, "error": error, "before": None, "after": after}
