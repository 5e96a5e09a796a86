"""The hooks, called with LiteLLM's arguments and semantics (`ProxyLogging` in LiteLLM's
`proxy/utils.py`), and what their results and exceptions become for corelane.
"""

import datetime
import inspect
import logging
import traceback

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


def error_of(e):
    """LiteLLM's client error for an exception a hook raised (`ProxyException` built by
    `_handle_llm_api_exception`): an `HTTPException` keeps its status and detail, an
    exception with a `status_code` (LiteLLM's own) its status, anything else is a 500 with
    its text."""
    status = getattr(e, "status_code", None)
    if status is not None and hasattr(e, "detail"):
        detail = e.detail
        message = str(detail)
        return {
            "status": int(status),
            "message": message,
            "type": str(getattr(e, "type", "None")),
            "param": str(getattr(e, "param", "None")),
            "code": str(status),
        }
    if status is not None:
        return {
            "status": int(status),
            "message": str(getattr(e, "message", str(e))),
            "type": str(getattr(e, "type", "None")),
            "param": str(getattr(e, "param", "None")),
            "code": str(getattr(e, "code", status) or status),
        }
    return {
        "status": 500,
        "message": str(getattr(e, "message", str(e))),
        "type": "None",
        "param": "None",
        "code": "500",
    }


async def dispatch(runtime, payload):
    hook = payload.get("hook")
    if hook == "pre_call":
        return await pre_call(runtime, payload)
    if hook == "ping":
        return {"ok": True, "stats": runtime.stats}
    return {"error": {"status": 500, "message": f"unknown hook {hook!r}", "type": "None",
                      "param": "None", "code": "500"}}


def runs_pre_call(plugin, data):
    """Whether LiteLLM calls this plugin's `async_pre_call_hook` for `data`."""
    if "async_pre_call_hook" not in plugin.hooks:
        return False
    if plugin.kind == "guardrail":
        from litellm.types.guardrails import GuardrailEventHooks

        return plugin.obj.should_run_guardrail(data=data, event_type=GuardrailEventHooks.pre_call)
    return True


async def pre_call(runtime, payload):
    """`async_pre_call_hook` of each plugin in order: a dict it returns replaces the
    request's data, a string rejects the request, an exception (raised or returned) fails
    it. The data's final form is answered (changes made in place count too)."""
    data = payload["data"]
    key = user_api_key_auth(payload.get("user_api_key_dict"))
    call_type = payload.get("call_type")
    for plugin in runtime.plugins:
        if not runs_pre_call(plugin, data):
            continue
        try:
            response = await plugin.obj.async_pre_call_hook(
                user_api_key_dict=key, cache=runtime.cache, data=data, call_type=call_type
            )
        except Exception as e:  # noqa: BLE001: the plugin's rejection
            return {"error": error_of(e), "plugin": plugin.name}
        if isinstance(response, Exception):
            return {"error": error_of(response), "plugin": plugin.name}
        if isinstance(response, str):
            return {
                "reject": response,
                "plugin": plugin.name,
            }
        if isinstance(response, dict):
            data = response
    return {"data": data}


class Response(dict):
    """A logged response as plugins read it: a dict (`response_obj["usage"]`) whose keys are
    also attributes (`response_obj.usage`), with LiteLLM's `_hidden_params`."""

    def __getattr__(self, name):
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return wrap(value)

    def model_dump(self, **_):
        return dict(self)

    def json(self, **_):
        return dict(self)


def wrap(value):
    if isinstance(value, dict) and not isinstance(value, Response):
        return Response(value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
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
    kwargs = dict(event.get("kwargs") or {})
    start, end = local_time(event.get("start_time")), local_time(event.get("end_time"))
    kwargs["start_time"], kwargs["end_time"] = start, end
    if kwargs.get("completion_start_time") is not None:
        kwargs["completion_start_time"] = local_time(kwargs["completion_start_time"])
    hidden = {"response_cost": kwargs.get("response_cost")}
    response = response_object(event.get("response_obj"), hidden) if success else None
    if success and kwargs.get("stream"):
        kwargs["complete_streaming_response"] = response
        kwargs["async_complete_streaming_response"] = response
    if not success:
        kwargs["exception"] = LoggedException(kwargs.get("exception") or "")
    name = "async_log_success_event" if success else "async_log_failure_event"
    for plugin in runtime.plugins:
        if name not in plugin.hooks:
            continue
        try:
            result = getattr(plugin.obj, name)(kwargs, response, start, end)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001: LiteLLM logs it and goes on ("[Non-Blocking]")
            runtime.stats["log_errors"] += 1
            log.error("%s of %s raised: %s", name, plugin.name, traceback.format_exc())


class LoggedException(Exception):
    """The failure of a logged request, by its text (the original is corelane's)."""
