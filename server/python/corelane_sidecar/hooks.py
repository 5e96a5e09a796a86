"""The hooks, called with LiteLLM's arguments and semantics (`ProxyLogging` in LiteLLM's
`proxy/utils.py`), and what their results and exceptions become for corelane.
"""

import asyncio
import datetime
import hashlib
import inspect
import json
import logging
import time
import traceback

from . import shapes, streams

log = logging.getLogger("corelane_sidecar")


def new_cache():
    from litellm.caching.dual_cache import DualCache

    return DualCache()


def user_api_key_auth(fields):
    from litellm.proxy._types import UserAPIKeyAuth

    fields = {k: v for k, v in (fields or {}).items() if v is not None}
    try:
        return UserAPIKeyAuth(**fields)
    except Exception:  # noqa: BLE001: an older LiteLLM lacks a field corelane sends
        known = getattr(UserAPIKeyAuth, "model_fields", {})
        return UserAPIKeyAuth(**{k: v for k, v in fields.items() if k in known})


# LiteLLM's `openai_error_type_for_status`.
ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


def error_type(exc, status):
    carried = getattr(exc, "type", None)
    if isinstance(carried, str) and carried != "None":
        return carried
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "invalid_request_error" if status < 500 else "internal_server_error"


def error_param(exc):
    carried = getattr(exc, "param", None)
    return carried if isinstance(carried, str) and carried != "None" else None


def detail_message(detail):
    """LiteLLM's `serialize_http_exception_detail`: (message, provider_specific_fields)."""
    if isinstance(detail, str):
        return detail, None
    if isinstance(detail, dict):
        err = detail.get("error")
        if isinstance(err, str):
            return err, detail
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"], detail
        if isinstance(detail.get("message"), str):
            return detail["message"], detail
        return json.dumps(detail), detail
    return str(detail), None


def error_of(e, plugin=None):
    """The client error LiteLLM 1.108.7 answers for an exception a hook raised or returned
    (`handle_llm_api_exception`): `{"status", "error": {message, type, param, code[,
    provider_specific_fields]}}`. An `HTTPException` keeps its status (a dict detail gives
    its `error` as the message and itself as `provider_specific_fields`, with a guardrail's
    name and mode added); another exception with a `status_code` between 400 and 599 keeps
    that status; anything else is a 500."""
    if hasattr(e, "detail") and isinstance(getattr(e, "status_code", None), int):
        detail = e.detail
        if isinstance(detail, dict) and plugin is not None:
            name = getattr(plugin, "guardrail_name", None)
            if name:
                detail.setdefault("guardrail_name", name)
            mode = getattr(plugin, "event_hook", None)
            if mode:
                detail.setdefault("guardrail_mode", mode)
        status = e.status_code
        message, fields = detail_message(detail)
    else:
        status = getattr(e, "status_code", None)
        if not (isinstance(status, int) and 400 <= status <= 599):
            status = 500
        message = getattr(e, "message", None)
        if not isinstance(message, str):
            message = str(e)
        fields = getattr(e, "provider_specific_fields", None)
    error = {
        "message": message,
        "type": error_type(e, status),
        "param": error_param(e),
        "code": str(status),
    }
    if fields:
        error["provider_specific_fields"] = fields
    return {"status": status, "error": error}


def rejection_of_text(text):
    """A pre-call hook that returned a string: `HTTPException(400, {"error": text})`
    (LiteLLM's `process_pre_call_hook_response` for every call type the proxy passes)."""
    return error_of(_HTTPError(400, {"error": text}))


class _HTTPError(Exception):
    def __init__(self, status_code, detail):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


class PluginTimeout(Exception):
    """A plugin's hook ran past the plugin's timeout (it was cancelled)."""

    def __init__(self, name, seconds):
        super().__init__(f"{name} did not answer within {seconds:g}s")
        self.name = name
        self.seconds = seconds


async def bounded(plugin, awaitable):
    """`awaitable` (one of `plugin`'s hooks), cancelled past the plugin's timeout (in the
    calling task where Python has `asyncio.timeout`, 3.11+: no task per call)."""
    if hasattr(asyncio, "timeout"):
        limit = asyncio.timeout(plugin.timeout)
        try:
            async with limit:
                return await awaitable
        except TimeoutError:
            # The plugin's own TimeoutError (an HTTP client's) is its exception, not ours.
            if limit.expired():
                raise PluginTimeout(plugin.name, plugin.timeout) from None
            raise
    try:
        return await asyncio.wait_for(awaitable, plugin.timeout)
    except asyncio.TimeoutError:
        raise PluginTimeout(plugin.name, plugin.timeout) from None


def late(e):
    """The answer of a deciding hook whose plugin ran out of time: corelane fails the
    request with a 503 naming it, as it does when the sidecar cannot answer."""
    return {"timeout": {"plugin": e.name, "seconds": e.seconds}}


async def dispatch(runtime, payload):
    try:
        return await dispatch_hook(runtime, payload)
    except PluginTimeout as e:
        return late(e)


async def dispatch_hook(runtime, payload):
    hook = payload.get("hook")
    if hook == "pre_call":
        return await pre_call(runtime, payload)
    if hook == "moderation":
        return await moderation(runtime, payload)
    if hook == "post_call_success":
        return await post_call_success(runtime, payload)
    if hook == "custom_auth":
        return await custom_auth(runtime, payload)
    if hook == "post_call_failure":
        return await post_call_failure(runtime, payload)
    if hook == "stream_open":
        data, key = call_data(payload)
        return await streams.open_stream(runtime, payload, data or {}, key)
    if hook == "stream_chunk":
        return await streams.feed(runtime, payload, end=False)
    if hook == "stream_end":
        return await streams.feed(runtime, payload, end=True)
    if hook == "stream_drop":
        return streams.drop(runtime, payload)
    if hook == "filter_models":
        return await filter_models(runtime, payload)
    if hook == "response_headers":
        return await response_headers(runtime, payload)
    if hook == "ping":
        return {"ok": True, "stats": runtime.stats, "streams": len(runtime.streams)}
    return {"error": error_of(ValueError(f"unknown hook {hook!r}"))}


def runs(plugin, method, event, data):
    """Whether LiteLLM calls `method` of this plugin for `data`: a guardrail when its mode
    and the request select it for `event`, a callback when it overrides the method."""
    if method not in plugin.hooks:
        return False
    if plugin.kind == "guardrail":
        from litellm.types.guardrails import GuardrailEventHooks

        return plugin.obj.should_run_guardrail(data=data, event_type=GuardrailEventHooks(event))
    return True


def runs_pre_call(plugin, data):
    return runs(plugin, "async_pre_call_hook", "pre_call", data)


def call_data(payload):
    """The request's `data` and the caller's `UserAPIKeyAuth` of a hook call."""
    key_fields = payload.get("key") or {}
    data = shapes.request_data(
        payload.get("body"), payload.get("head") or "", key_fields, payload.get("call_id")
    )
    return data, user_api_key_auth(key_fields)


async def moderation(runtime, payload):
    """`async_moderation_hook` of every plugin that has one, at once (LiteLLM gathers
    them, alongside the model's call): the first exception fails the request."""
    data, key = call_data(payload)
    if data is None:
        return {}
    call_type = payload.get("call_type")
    chosen = [p for p in runtime.plugins if runs(p, "async_moderation_hook", "during_call", data)]

    async def one(plugin):
        try:
            await bounded(
                plugin,
                plugin.obj.async_moderation_hook(
                    data=data, user_api_key_dict=key, call_type=call_type
                ),
            )
        except PluginTimeout as e:
            return late(e)
        except Exception as e:  # noqa: BLE001: the plugin's rejection
            return {"error": error_of(e, plugin.obj), "plugin": plugin.name}
        return None

    for result in await asyncio.gather(*(one(p) for p in chosen)):
        if result is not None:
            return result
    return {}


def dump(response):
    if hasattr(response, "model_dump"):
        return response.model_dump()
    return unwrap(response)


async def post_call_success(runtime, payload):
    """`async_post_call_success_hook`: guardrails chosen for post_call first, then the
    other plugins, in order; a value returned replaces the response (changes made in place
    count too), an exception fails the request. Answers the new response, if any."""
    data, key = call_data(payload)
    if data is None:
        return {"unchanged": True}
    body = payload.get("response")
    response = response_object(body, {})
    before = dump(response)
    ordered = [p for p in runtime.plugins if p.kind == "guardrail"] + [
        p for p in runtime.plugins if p.kind != "guardrail"
    ]
    for plugin in ordered:
        if not runs(plugin, "async_post_call_success_hook", "post_call", data):
            continue
        try:
            result = await bounded(
                plugin,
                plugin.obj.async_post_call_success_hook(
                    data=data, user_api_key_dict=key, response=response
                ),
            )
        except PluginTimeout:
            raise
        except Exception as e:  # noqa: BLE001: the plugin's rejection
            return {"error": error_of(e, plugin.obj), "plugin": plugin.name}
        if result is not None:
            response = result
    after = dump(response)
    if after == before:
        return {"unchanged": True}
    return {"response": after}


async def pre_call(runtime, payload):
    """`async_pre_call_hook` of each plugin in order: a dict it returns replaces the
    request's data, a string rejects the request, an exception (raised or returned) fails
    it. Answers the body to send (changes made in place count too), or that it is
    unchanged."""
    body = payload.get("body")
    key_fields = payload.get("key") or {}
    data = shapes.request_data(body, payload.get("head") or "", key_fields, payload.get("call_id"))
    if data is None:
        return {"unchanged": True}
    key = user_api_key_auth(key_fields)
    call_type = payload.get("call_type")
    for plugin in runtime.plugins:
        if not runs_pre_call(plugin, data):
            continue
        try:
            response = await bounded(
                plugin,
                plugin.obj.async_pre_call_hook(
                    user_api_key_dict=key, cache=runtime.cache, data=data, call_type=call_type
                ),
            )
        except PluginTimeout:
            raise
        except Exception as e:  # noqa: BLE001: the plugin's rejection
            return {"error": error_of(e, plugin.obj), "plugin": plugin.name}
        if isinstance(response, Exception):
            return {"error": error_of(response, plugin.obj), "plugin": plugin.name}
        if isinstance(response, str):
            return {"error": rejection_of_text(response), "plugin": plugin.name}
        if isinstance(response, dict):
            data = response
    after = shapes.body_after(body, data)
    return {"unchanged": True} if after is None else {"body": after}


async def filter_models(runtime, payload):
    """`async_filter_listed_models` of each plugin in order, each given what the one before
    kept (LiteLLM's `_names_kept_by_listing_callbacks`): the names still listed. A hook that
    returns anything but a sequence of names fails the listing with LiteLLM's 500."""
    key = user_api_key_auth(payload.get("key"))
    names = tuple(payload.get("names") or ())
    for plugin in runtime.plugins:
        if not names or "async_filter_listed_models" not in plugin.hooks:
            continue
        try:
            returned = await bounded(plugin, plugin.obj.async_filter_listed_models(key, names))
        except PluginTimeout:
            raise
        except Exception as e:  # noqa: BLE001: the listing fails with it
            return {"error": error_of(e, plugin.obj)}
        if not isinstance(returned, (list, tuple)) or not all(isinstance(n, str) for n in returned):
            message = (
                f"{type(plugin.obj).__name__}.async_filter_listed_models must return a "
                "sequence of model names"
            )
            return {
                "error": {
                    "status": 500,
                    "error": {
                        "message": message,
                        "type": "internal_server_error",
                        "param": "None",
                        "code": "500",
                    },
                }
            }
        kept = frozenset(returned)
        names = tuple(n for n in names if n in kept)
    return {"names": list(names)}


class StreamedResponse:
    """What `async_post_call_response_headers_hook` gets as the `response` of a stream, before
    its first chunk: LiteLLM passes its `CustomStreamWrapper`; corelane's stream is relayed
    by the core, so this carries only what describes it (`model`, `custom_llm_provider`,
    `_hidden_params`)."""

    def __init__(self, model, hidden):
        self.model = model
        self.custom_llm_provider = hidden.get("custom_llm_provider")
        self._hidden_params = hidden


# Whether a plugin class's `async_post_call_response_headers_hook` takes `litellm_call_info`
# (LiteLLM checks its signature once per class).
TAKES_CALL_INFO = {}


def takes_call_info(obj):
    cls = type(obj)
    if cls not in TAKES_CALL_INFO:
        try:
            params = inspect.signature(obj.async_post_call_response_headers_hook).parameters
            TAKES_CALL_INFO[cls] = "litellm_call_info" in params
        except (TypeError, ValueError):
            TAKES_CALL_INFO[cls] = False
    return TAKES_CALL_INFO[cls]


async def response_headers(runtime, payload):
    """`async_post_call_response_headers_hook` of every plugin, in order (LiteLLM's
    `post_call_response_headers_hook`): the headers each returns, merged (a later one
    replaces an earlier one). As in LiteLLM, the first exception (or a plugin past its
    timeout) ends the merge: it is logged and counted, and the headers merged so far go
    out. Answers `{"headers": [[name, value], ...]}`."""
    data, key = call_data(payload)
    if data is None:
        data = {}
    info = payload.get("call_info") or {}
    hidden = {k: info.get(k) for k in ("model_id", "api_base", "custom_llm_provider")}
    answer = payload.get("answer")
    if answer == "stream":
        response = StreamedResponse(data.get("model"), hidden)
    elif answer == "whole":
        response = response_object(payload.get("response"), hidden)
    else:
        response = None
    _, _, headers = shapes.parse_head(payload.get("head") or "", keep_secrets=True)
    if answer == "failed":
        # LiteLLM's failure path passes the request's logged headers (credentials removed).
        headers = (data.get("proxy_server_request") or {}).get("headers") or headers
    merged = {}
    for plugin in runtime.plugins:
        if "async_post_call_response_headers_hook" not in plugin.hooks:
            continue
        hook = plugin.obj.async_post_call_response_headers_hook
        kwargs = dict(data=data, user_api_key_dict=key, response=response, request_headers=headers)
        if takes_call_info(plugin.obj):
            kwargs["litellm_call_info"] = info
        try:
            result = await bounded(plugin, hook(**kwargs))
            if result is not None:
                merged.update(result)
        except Exception as e:  # noqa: BLE001: LiteLLM logs it and sends what it merged
            runtime.stats["hook_errors"] += 1
            log.error("async_post_call_response_headers_hook of %s raised: %s", plugin.name, e)
            break
    return {
        "headers": [[str(k), v if isinstance(v, str) else str(v)] for k, v in merged.items()]
    }


def auth_error(e):
    """LiteLLM's `_as_proxy_exception`: what an authentication failure answers."""
    status = getattr(e, "status_code", None)
    if hasattr(e, "detail") and isinstance(status, int):
        detail = e.detail
        return {
            "status": status,
            "error": {
                "message": detail if isinstance(detail, str) else str(detail),
                "type": "auth_error",
                "param": str(getattr(e, "param", "None")),
                "code": str(status),
            },
        }
    if type(e).__name__ == "ProxyException" and hasattr(e, "code"):
        code = str(getattr(e, "code", "401"))
        return {
            "status": int(code) if code.isdigit() else 401,
            "error": {
                "message": str(getattr(e, "message", e)),
                "type": getattr(e, "type", "auth_error"),
                "param": getattr(e, "param", None),
                "code": code,
            },
        }
    return {
        "status": 401,
        "error": {
            "message": "Authentication Error, " + str(e),
            "type": "auth_error",
            "param": "None",
            "code": "401",
        },
    }


def http_request(head, body):
    """The `fastapi.Request` custom auth receives (method, URL, headers; the body when one
    was read)."""
    method, target, _ = shapes.parse_head(head)
    raw = []
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            raw.append((name.strip().lower().encode(), value.strip().encode()))
    path, _, query = target.partition("?")
    try:
        from starlette.requests import Request

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": raw,
            "scheme": "http",
            "server": ("localhost", 80),
        }
        sent = False

        async def receive():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return Request(scope, receive)
    except ImportError:
        from fastapi import Request

        return Request(
            method=method,
            path=path,
            headers={k.decode(): v.decode() for k, v in raw},
            body=body,
            query=query,
        )


async def custom_auth(runtime, payload):
    """`general_settings.custom_auth`: called on every authenticated request, as LiteLLM
    calls it. A `UserAPIKeyAuth` (or a dict of its fields) admits the request as that
    caller, with the key's sha256 as its `token`; a string is a virtual key to check the
    usual way; an exception refuses it (401 unless it says otherwise)."""
    if runtime.auth is None:
        return {"error": auth_error(ValueError("no custom auth is configured"))}
    api_key = payload.get("api_key")
    request = http_request(payload.get("head") or "", (payload.get("body") or "").encode())
    try:
        result = await bounded(runtime.auth, runtime.auth.obj(request=request, api_key=api_key))
    except PluginTimeout:
        raise
    except Exception as e:  # noqa: BLE001: the function's refusal
        return {"error": auth_error(e)}
    if isinstance(result, str):
        return {"key": result}
    fields = result.model_dump() if hasattr(result, "model_dump") else dict(result or {})
    fields = {k: v for k, v in fields.items() if k != "parent_otel_span"}
    # LiteLLM's validator stores the key's sha256 as `token` and `api_key` (the shim's
    # class leaves that to here).
    if not fields.get("token"):
        key = fields.get("api_key") or api_key
        if isinstance(key, str) and key:
            hashed = hashlib.sha256(key.encode()).hexdigest()
            fields["api_key"] = hashed
            fields["token"] = hashed
    return {"auth": json.loads(json.dumps(fields, default=str))}


def original_exception(failure):
    """The request's failure as an exception of LiteLLM's class where `litellm` is
    installed (`isinstance(e, litellm.RateLimitError)` holds), else of a class by its name;
    with `status_code`, `message`, `llm_provider` and `model`."""
    name = failure.get("class") or "APIError"
    cls = None
    try:
        import litellm

        found = getattr(litellm, name, None) or getattr(litellm.exceptions, name, None)
        if isinstance(found, type) and issubclass(found, Exception):
            cls = found
    except (ImportError, AttributeError):
        cls = None
    if cls is None:
        cls = type(name, (Exception,), {})
    exc = cls.__new__(cls)
    Exception.__init__(exc, failure.get("message") or "")
    for attr, value in (
        ("status_code", failure.get("status")),
        ("message", failure.get("message")),
        ("llm_provider", failure.get("provider")),
        ("model", failure.get("model")),
    ):
        try:
            setattr(exc, attr, value)
        except Exception:  # noqa: BLE001: a read-only attribute keeps its own value
            pass
    return exc


def is_http_exception(e):
    return hasattr(e, "detail") and isinstance(getattr(e, "status_code", None), int)


async def post_call_failure(runtime, payload):
    """`async_post_call_failure_hook` of every plugin, in order: the first that returns or
    raises an `HTTPException` replaces the client's error; other exceptions are logged."""
    data, key = call_data(payload)
    if data is None:
        data = {}
    failure = payload.get("failure") or {}
    exc = original_exception(failure)
    replaced = None
    for plugin in runtime.plugins:
        if "async_post_call_failure_hook" not in plugin.hooks:
            continue
        try:
            result = await bounded(
                plugin,
                plugin.obj.async_post_call_failure_hook(
                    request_data=data,
                    original_exception=exc,
                    user_api_key_dict=key,
                    traceback_str=None,
                ),
            )
        except Exception as e:  # noqa: BLE001: a timeout too leaves the error as it is
            result = e
            if not is_http_exception(e):
                runtime.stats["hook_errors"] += 1
                log.error("async_post_call_failure_hook of %s raised: %s", plugin.name, e)
        if replaced is None and is_http_exception(result):
            replaced = result
    if replaced is None:
        return {}
    return {"error": error_of(replaced)}


class Response(dict):
    """A response as plugins read and change it where LiteLLM's types are not installed: a
    dict (`response_obj["usage"]`) whose keys are also attributes (`response.choices[0]
    .message.content = ...` changes it in place; a field it lacks reads as None), with
    LiteLLM's `_hidden_params`."""

    def __init__(self, value=()):
        super().__init__(value)
        for k, v in list(self.items()):
            super().__setitem__(k, wrap(v))

    def __getattr__(self, name):
        # LiteLLM's response types default their optional fields to None
        # (`delta.content` of a chunk that has none).
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = wrap(value)

    def model_dump(self, **_):
        return unwrap(self)

    def json(self, **_):
        return unwrap(self)


def wrap(value):
    if isinstance(value, dict) and not isinstance(value, Response):
        return Response(value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def unwrap(value):
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def response_object(body, hidden):
    """The response as LiteLLM's types hold it where `litellm` is installed (a
    `ModelResponse`, an `EmbeddingResponse`), else a [`Response`]."""
    if body is None:
        return None
    obj = None
    try:
        import litellm

        kind = body.get("object")
        if kind in ("chat.completion", "chat.completion.chunk"):
            obj = litellm.ModelResponse(**body)
        elif kind == "list":
            obj = litellm.EmbeddingResponse(**body)
    except Exception:  # noqa: BLE001: a shape LiteLLM's types refuse stays a dict
        obj = None
    if obj is None:
        obj = Response(body)
    try:
        obj._hidden_params = dict(getattr(obj, "_hidden_params", None) or {}, **hidden)
    except Exception:  # noqa: BLE001
        pass
    return obj


def local_time(epoch):
    # LiteLLM's kwargs carry naive local times (`datetime.now()`).
    return datetime.datetime.fromtimestamp(epoch) if epoch is not None else None


async def log_event(runtime, event):
    """One request's success or failure, to each plugin's `async_log_*_event`."""
    success = event.get("kind") == "success"
    name = "async_log_success_event" if success else "async_log_failure_event"
    plugins = [p for p in runtime.plugins if name in p.hooks]
    # The sync `log_failure_event` too for the proxy's own refusals (LiteLLM calls it in a
    # thread for them; for calls that reached a provider only the async one).
    threaded = [
        p
        for p in runtime.plugins
        if not success and event.get("proxy_only") and "log_failure_event" in p.hooks
    ]
    if not plugins and not threaded:
        return
    if event.get("response") is None and success:
        # A stream: its answer assembled from the chunks the client got.
        event["response"] = shapes.assembled(event)
    kwargs = shapes.logging_kwargs(event)
    start, end = local_time(event.get("start")), local_time(event.get("end"))
    kwargs["start_time"], kwargs["end_time"] = start, end
    for field in ("completion_start_time", "api_call_start_time"):
        kwargs[field] = local_time(kwargs.get(field))
    response = None
    if success:
        body = event.get("response")
        if not isinstance(body, dict):
            # An answer too large to copy, or not JSON: what is known of it.
            body = {
                "id": f"chatcmpl-{event.get('call_id')}",
                "object": "chat.completion",
                "model": kwargs.get("model"),
                "choices": [],
                "usage": event.get("usage") or {},
            }
        response = response_object(body, {"response_cost": kwargs.get("response_cost")})
        if kwargs.get("stream"):
            kwargs["complete_streaming_response"] = response
            kwargs["async_complete_streaming_response"] = response
    else:
        kwargs["exception"] = LoggedException(kwargs.get("exception") or "")
    if success:
        kwargs, response = await logging_hooks(runtime, kwargs, response)
    for plugin in threaded:
        runtime.in_thread(
            plugin,
            "log_failure_event",
            kwargs=kwargs,
            response_obj=response,
            start_time=start,
            end_time=end,
        )
    for plugin in plugins:
        hook = getattr(plugin.obj, name)
        await watched(runtime, plugin, name, lambda: hook(kwargs, response, start, end))


async def logging_hooks(runtime, kwargs, response):
    """`async_logging_hook` of each plugin, in order, before the success loggers (LiteLLM's
    `async_success_handler`): what each returns is the `kwargs` and response every logger
    then gets (a masking guardrail's redaction, for one). A guardrail's runs when its mode
    is `logging_only` and the request selects it. An exception is logged and counted, and
    leaves them as they were."""
    call_type = kwargs.get("call_type")
    for plugin in runtime.plugins:
        if "async_logging_hook" not in plugin.hooks:
            continue
        hook = plugin.obj.async_logging_hook

        async def one(plugin=plugin, hook=hook):
            # A guardrail's own choice (`should_run_guardrail`) may raise too.
            if not runs(plugin, "async_logging_hook", "logging_only", kwargs):
                return None
            return await hook(kwargs=kwargs, result=response, call_type=call_type)

        done, changed = await watched(runtime, plugin, "async_logging_hook", one)
        if done and isinstance(changed, tuple) and len(changed) == 2:
            kwargs, response = changed
    return kwargs, response


async def watched(runtime, plugin, name, call):
    """Runs a logging hook (`call()`, awaited when it is a coroutine) under the runtime's
    watchdog, which cancels it past the plugin's timeout (no timer per call: logging runs
    for every request). An exception, or running late, is logged and counted: LiteLLM logs
    and goes on ("[Non-Blocking]"). Returns whether it finished, and what it returned."""
    try:
        runtime.logging_until = time.monotonic() + plugin.timeout
        result = call()
        if inspect.isawaitable(result):
            result = await result
        return True, result
    except asyncio.CancelledError:
        if not runtime.took_overdue_cancel():
            raise
        runtime.stats["log_errors"] += 1
        log.error("%s of %s did not finish within %gs: cancelled", name, plugin.name, plugin.timeout)
    except Exception:  # noqa: BLE001: LiteLLM logs it and goes on ("[Non-Blocking]")
        runtime.stats["log_errors"] += 1
        log.error("%s of %s raised: %s", name, plugin.name, traceback.format_exc())
    finally:
        runtime.logging_until = None
        if runtime.overdue and runtime.took_overdue_cancel():
            # The hook swallowed the watchdog's cancel: late all the same.
            runtime.stats["log_errors"] += 1
    return False, None


class LoggedException(Exception):
    """The failure of a logged request, by its text (the original is corelane's)."""
