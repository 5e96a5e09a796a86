"""LiteLLM 1.108.7's shapes, built here from what a core sends (its raw request head and
body, the caller's key, the exchange's facts), so the cores only copy bytes:

- `data`, what the proxy's hooks receive: the body plus `metadata` (the request's headers
  without credentials, the caller's `user_api_key_*`), `proxy_server_request` and
  `litellm_call_id`, a top-level `guardrails` list moved into `metadata`
  (`add_litellm_data_to_request`, `move_guardrails_to_metadata`);
- the body again after the hooks, without what was added;
- a logging event's `kwargs`, with its `standard_logging_object`.
"""

import copy
import json
import uuid

# Headers LiteLLM keeps out of `metadata.headers` (they carry credentials).
SECRET_HEADERS = {"authorization", "x-api-key", "api-key", "x-litellm-api-key"}
# What the proxy adds to `data` (taken out before the body goes upstream).
ADDED = ("metadata", "proxy_server_request", "litellm_call_id")


def parse_head(head, keep_secrets=False):
    """(method, target, headers) of a raw request head: names lowercased, the credentials'
    headers left out unless `keep_secrets`."""
    lines = head.split("\r\n")
    parts = lines[0].split(" ") if lines else []
    method = parts[0] if parts else "POST"
    target = parts[1] if len(parts) > 1 else "/"
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        if name in SECRET_HEADERS and not keep_secrets:
            continue
        headers[name] = value.strip()
    return method, target, headers


def metadata(client_metadata, headers, key):
    md = dict(client_metadata) if isinstance(client_metadata, dict) else {}
    md["headers"] = headers
    md["used_client_oauth_token"] = False
    md["requester_metadata"] = {"headers": dict(headers), "used_client_oauth_token": False}
    for name, field in (
        ("user_api_key_hash", "token"),
        ("user_api_key_alias", "key_alias"),
        ("user_api_key_spend", "spend"),
        ("user_api_key_max_budget", "max_budget"),
        ("user_api_key_user_spend", "user_spend"),
        ("user_api_key_user_max_budget", "user_max_budget"),
        ("user_api_key_team_spend", "team_spend"),
        ("user_api_key_team_max_budget", "team_max_budget"),
        ("user_api_key_team_id", "team_id"),
        ("user_api_key_user_id", "user_id"),
        ("user_api_key_team_alias", "team_alias"),
        ("user_api_key_user_email", "user_email"),
        ("user_api_key_request_route", "request_route"),
        ("user_api_key_budget_reset_at", "budget_reset_at"),
        ("user_api_key", "token"),
    ):
        md[name] = key.get(field)
    md["user_api_key_org_id"] = None
    md["user_api_key_end_user_id"] = None
    md["user_api_key_auth_metadata"] = key.get("metadata") or {}
    md["user_api_key_auth"] = dict(key)
    return md


def request_data(body, head, key, call_id):
    """`data` as the hooks see it, or None when the body is not a JSON object."""
    if not isinstance(body, dict):
        return None
    method, target, headers = parse_head(head)
    data = copy.deepcopy(body)
    md = metadata(data.pop("metadata", None), headers, key)
    if "guardrails" in data:
        md["guardrails"] = data.pop("guardrails")
    data["metadata"] = md
    data["proxy_server_request"] = {
        "url": f"http://{headers.get('host', 'localhost')}{target}",
        "method": method,
        "headers": headers,
        "body": copy.deepcopy(body),
    }
    data["litellm_call_id"] = call_id
    return data


def body_after(original, data):
    """The body to send after the hooks, or None when it is the original."""
    if not isinstance(data, dict):
        raise TypeError("a pre-call hook left data that is not a dict")
    out = {k: v for k, v in data.items() if k not in ADDED}
    for kept in ("metadata", "guardrails"):
        if kept in original:
            out[kept] = original[kept]
    return None if out == original else out


def stream_chunks(raw):
    """The JSON chunks of server-sent events (`data:` lines; `[DONE]` and what is not JSON
    skipped)."""
    for block in raw.split(b"\n\n"):
        data = [
            line[5:].strip()
            for line in block.split(b"\n")
            if line.startswith(b"data:")
        ]
        if not data or data == [b"[DONE]"]:
            continue
        try:
            yield json.loads(b"\n".join(data))
        except (ValueError, RecursionError):
            continue


def assembled(event):
    """A stream's answer as LiteLLM logs it (its `stream_chunk_builder`): one chat completion
    of the chunks the client got, their text, tool calls, finish reason and usage. Anthropic
    and Responses streams give their text."""
    if not event.get("stream"):
        return None
    text, tools, finish, usage, first = [], {}, None, None, {}
    for chunk in stream_chunks(event.get("stream_events") or b""):
        if not isinstance(chunk, dict):
            continue
        if "choices" in chunk:
            first = first or chunk
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
                if isinstance(delta.get("content"), str):
                    text.append(delta["content"])
                for call in delta.get("tool_calls") or []:
                    if not isinstance(call, dict) or not isinstance(call.get("index", 0), int):
                        continue
                    slot = tools.setdefault(
                        call.get("index", 0),
                        {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                    )
                    slot["id"] = call.get("id") or slot["id"]
                    function = call.get("function") if isinstance(call.get("function"), dict) else {}
                    for field in ("name", "arguments"):
                        if isinstance(function.get(field), str):
                            slot["function"][field] += function[field]
                finish = choice.get("finish_reason") or finish
        elif isinstance(chunk.get("delta"), dict) and isinstance(chunk["delta"].get("text"), str):
            text.append(chunk["delta"]["text"])
        elif chunk.get("type") == "response.output_text.delta" and isinstance(chunk.get("delta"), str):
            text.append(chunk["delta"])
    message = {"role": "assistant", "content": "".join(text) if text or not tools else None}
    if tools:
        message["tool_calls"] = [tools[i] for i in sorted(tools)]
    return {
        "id": first.get("id") or f"chatcmpl-{event.get('call_id')}",
        "object": "chat.completion",
        "created": first.get("created"),
        "model": first.get("model") or event.get("requested_model"),
        "system_fingerprint": first.get("system_fingerprint"),
        "choices": [{"index": 0, "finish_reason": finish or "stop", "message": message}],
        "usage": usage or event.get("usage") or {},
    }


def logging_kwargs(event):
    """LiteLLM's logging `kwargs` for a corelane event (times as epoch seconds; the caller
    turns them into datetimes)."""
    request = event.get("request") if isinstance(event.get("request"), dict) else {}
    response = event.get("response")
    key = event.get("key") or {}
    method, target, headers = parse_head(event.get("head") or "")
    success = event.get("kind") == "success"
    model_full = event.get("model") or ""
    provider = event.get("provider") or ""
    model = model_full.split("/", 1)[1] if "/" in model_full else model_full
    # A request that reached no deployment: the model it asked for.
    model = model or event.get("requested_model") or request.get("model") or ""
    md = metadata(request.get("metadata"), headers, key)
    if "guardrails" in request:
        md["guardrails"] = request["guardrails"]
    md["model_group"] = event.get("model_group")
    md["deployment"] = model_full
    md["model_info"] = {"id": event.get("model_id")}
    messages = request.get("messages", request.get("input", request.get("prompt")))
    optional = {
        k: v
        for k, v in request.items()
        if k not in ("model", "messages", "input", "prompt", "metadata", "guardrails", "user")
    }
    optional.setdefault("stream", bool(event.get("stream")))
    cost = event.get("cost") if success else 0.0
    usage = event.get("usage") or {}
    user_agent = headers.get("user-agent")
    status_fields = {
        "llm_api_status": "success" if success else "failure",
        "guardrail_status": "not_run",
    }
    error = event.get("error") or {}
    error_str = None
    if not success:
        error_str = (
            f"{error.get('class') or 'APIError'}: request failed with status {event.get('status')}"
        )
    slo = {
        "id": (response or {}).get("id") if isinstance(response, dict) else None,
        "litellm_call_id": event.get("call_id"),
        "trace_id": str(uuid.uuid4()),
        "session_id": "",
        "call_type": event.get("call_type"),
        "cache_hit": None,
        "stream": event.get("stream") or None,
        "status": "success" if success else "failure",
        "status_fields": status_fields,
        "custom_llm_provider": provider,
        "saved_cache_cost": 0.0,
        "startTime": event.get("start"),
        "endTime": event.get("end"),
        "completionStartTime": event.get("first_token") or event.get("end"),
        "response_time": (event.get("end") or 0) - (event.get("start") or 0),
        "model": model_full,
        "metadata": {
            **{k: md.get(k) for k in md if k.startswith("user_api_key") and k not in ("user_api_key", "user_api_key_auth")},
            "spend_logs_metadata": None,
            "requester_ip_address": None,
            "user_agent": user_agent,
            "requester_metadata": md.get("requester_metadata"),
            "applied_guardrails": [],
            "usage_object": usage or None,
            "requester_custom_headers": {},
            "team_alias": key.get("team_alias"),
            "team_id": key.get("team_id"),
        },
        "cache_key": None,
        "response_cost": cost or 0.0,
        "cost_breakdown": {"total_cost": cost or 0.0},
        "total_tokens": usage.get("total_tokens", 0),
        "prompt_tokens": usage.get("prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0),
        "request_tags": [],
        "end_user": request.get("user"),
        "api_base": event.get("api_base") or "",
        "model_group": event.get("model_group"),
        "model_id": event.get("model_id"),
        "requester_ip_address": None,
        "user_agent": user_agent,
        "messages": messages,
        "response": response if success else None,
        "model_parameters": optional,
        "hidden_params": {
            "model_id": event.get("model_id"),
            "cache_key": None,
            "api_base": event.get("api_base"),
            "response_cost": cost,
            "additional_headers": {
                "x-litellm-model-group": event.get("model_group"),
                "x-litellm-attempted-retries": event.get("retries", 0),
                "x-litellm-attempted-fallbacks": event.get("fallbacks", 0),
            },
            "litellm_overhead_time_ms": None,
            "litellm_model_name": model_full,
        },
        "error_str": error_str,
        "error_information": None
        if success
        else {
            "error_code": str(event.get("status")),
            "error_class": error.get("class"),
            "llm_provider": error.get("provider") or provider,
            "traceback": "",
            "error_message": error_str,
        },
    }
    kwargs = {
        "model": model,
        "messages": messages,
        "input": messages,
        "user": request.get("user"),
        "litellm_params": {
            "metadata": md,
            "proxy_server_request": {
                "url": f"http://{headers.get('host', 'localhost')}{target}",
                "method": method,
                "headers": headers,
                "body": request,
            },
            "model_info": {"id": event.get("model_id")},
            "api_base": event.get("api_base") or "",
            "litellm_call_id": event.get("call_id"),
            "custom_llm_provider": provider,
            "acompletion": event.get("call_type") == "acompletion",
            "aembedding": event.get("call_type") == "aembedding",
        },
        "optional_params": optional,
        "stream": bool(event.get("stream")),
        "call_type": event.get("call_type"),
        "litellm_call_id": event.get("call_id"),
        "litellm_trace_id": slo["trace_id"],
        "custom_llm_provider": provider,
        "response_cost": cost,
        "cache_hit": None,
        "applied_guardrails": [],
        "log_event_type": "post_api_call" if success else "failed_api_call",
        "completion_start_time": event.get("first_token") or event.get("end"),
        "api_call_start_time": event.get("start"),
        "standard_logging_object": slo,
    }
    kwargs.update({k: v for k, v in optional.items() if k not in kwargs})
    if not success:
        kwargs["exception"] = error_str
        kwargs["traceback_exception"] = error_str
    return kwargs
