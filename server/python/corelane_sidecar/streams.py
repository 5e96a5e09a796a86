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
"..."}`), and the per-chunk hook is not called. A Responses API stream reaches the iterator
hooks as LiteLLM's event objects, and the per-chunk hook is not called on them either.
"""

import asyncio
import json
import time
import uuid

from . import hooks

# Sessions not ended within this long (the client left) are dropped.
STALE_SECONDS = 600


def chunk_object(chunk, kind="chat"):
    """A chunk as hooks receive it where LiteLLM is installed: a `ModelResponseStream`, or
    a Responses API event as LiteLLM's OpenAI config types it (a `GenericEvent` for a type it
    does not know; built unchecked when its type refuses it)."""
    try:
        if kind == "responses":
            from litellm.llms.openai.responses.transformation import OpenAIResponsesAPIConfig

            cls = OpenAIResponsesAPIConfig.get_event_model_class(str(chunk.get("type")))
            try:
                return cls(**chunk)
            except ValueError:
                return cls.model_construct(**chunk)
        import litellm

        return litellm.ModelResponseStream(**chunk)
    except Exception:  # noqa: BLE001: the shim, or a chunk LiteLLM's type refuses
        return hooks.Response(chunk)


def dump(obj, kind="chat"):
    if hasattr(obj, "model_dump"):
        # LiteLLM writes a Responses API event without its unset fields.
        return obj.model_dump(exclude_none=True, exclude_unset=kind == "responses")
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
    def __init__(self, runtime, data, key, kind="chat"):
        # A raw session (an Anthropic `/v1/messages` stream) passes each read's bytes to
        # the iterator hooks, as LiteLLM does; its per-chunk hooks are not called. Neither
        # are they on a Responses API stream's events (LiteLLM calls them on chat chunks).
        self.kind = kind
        self.raw = kind == "raw"
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
        # What a Responses API stream let out so far, for its failure event (LiteLLM's
        # `ResponsesStreamErrorState`): the response's id, model and creation time, the
        # last sequence number, and whether its last event went out.
        self.emitted = {"id": None, "model": None, "created_at": None, "sequence": -1}
        self.terminal = False
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
            if "async_post_call_streaming_hook" in p.hooks and kind == "chat"
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
        if self.kind == "chat":
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
        dumped = dump(chunk, self.kind)
        if self.kind == "responses":
            self.observe(dumped)
        if self.current is not None and chunk is self.current[0] and dumped == self.current[1]:
            return {"same": True}
        return {"chunk": dumped}

    def observe(self, event):
        if not isinstance(event, dict):
            return
        sequence = event.get("sequence_number")
        if isinstance(sequence, int):
            self.emitted["sequence"] = max(self.emitted["sequence"], sequence)
        response = event.get("response")
        if isinstance(response, dict):
            for field in ("id", "model", "created_at"):
                if response.get(field) is not None:
                    self.emitted[field] = response[field]
        if event.get("type") in ("response.completed", "response.failed", "response.incomplete"):
            self.terminal = True

    def responses_failure(self, e):
        """The end of a Responses API stream whose hooks failed, as LiteLLM writes it
        (`ResponsesStreamErrorState.format_failure`): a `response.failed` event for the
        response the client saw (none when its last event went out), then `[DONE]`."""
        done = "data: [DONE]\n\n"
        if self.terminal:
            return done
        emitted = self.emitted
        response = {
            "id": emitted["id"] or f"resp_{uuid.uuid4().hex}",
            "created_at": emitted["created_at"] or int(time.time()),
            "error": {"code": responses_error_code(e), "message": failure_message(e)},
            "model": emitted["model"],
            "object": "response",
            "output": [],
            "status": "failed",
        }
        if response["model"] is None:
            del response["model"]
        event = {
            "type": "response.failed",
            "response": response,
            "sequence_number": emitted["sequence"] + 1,
        }
        text = json.dumps(event, separators=(",", ":"), default=str)
        return f"event: response.failed\ndata: {text}\n\n{done}"

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
                obj = chunk_object(chunk, self.kind)
                self.current = (obj, dump(obj, self.kind))
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
    kind = payload.get("kind")
    runtime.streams[payload.get("call_id")] = StreamSession(
        runtime, data, key, kind if kind in ("chat", "responses", "raw") else "chat"
    )
    return {}


def drop(runtime, payload):
    """A stream the core will not end (the client left, or the provider's stream failed):
    its session goes, its hooks cancelled (as LiteLLM's generator is closed)."""
    session = runtime.streams.pop(payload.get("call_id"), None)
    if session is not None:
        session.task.cancel()
    return {}


async def feed(runtime, payload, end):
    call_id = payload.get("call_id")
    session = runtime.streams.get(call_id)
    if session is None:
        return {"error": hooks.error_of(ValueError("no such stream"))}
    try:
        out = await session.feed(None if end else payload.get("raw" if session.raw else "chunk"))
    except BaseException:
        # The session cannot go on (corelane gets the error): it goes, its hooks cancelled.
        drop(runtime, payload)
        raise
    if end or session.error is not None:
        runtime.streams.pop(call_id, None)
    if isinstance(session.error, hooks.PluginTimeout):
        return {"out": out, **hooks.late(session.error)}
    if session.error is not None and session.kind == "responses":
        # Reported in the stream (after what went out), never as an error status.
        failure = hooks.error_of(session.error)
        after = session.responses_failure(session.error)
        return {"out": out, "error": dict(failure, before=None, after=after, in_stream=True)}
    if session.error is not None:
        return {"out": out, "error": stream_error(session.error)}
    return {"out": out}


def failure_message(e):
    message = getattr(e, "message", None)
    return message if isinstance(message, str) and message else str(e)


def responses_error_code(e):
    """The `error.code` of a Responses API stream's failure event, as LiteLLM derives it
    from the exception (`_response_error_code`)."""
    code = getattr(e, "code", None)
    code = code if isinstance(code, (str, int)) and not isinstance(code, bool) else None
    kind = getattr(e, "type", None)
    kind = kind if isinstance(kind, str) else None
    for value in (code, kind):
        if value == "insufficient_quota":
            return "insufficient_quota"
        if value in (429, "429") or (isinstance(value, str) and value.startswith("rate_limit")):
            return "rate_limit_exceeded"
    if isinstance(code, str) and code and not code.isdecimal():
        return code
    status = getattr(e, "status_code", None)
    if not isinstance(status, int) or not 400 <= status < 500:
        return "server_error"
    return {
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        408: "request_timeout",
        429: "rate_limit_exceeded",
    }.get(status, "invalid_request_error")


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
