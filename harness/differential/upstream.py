"""A scripted, recording provider for the differential suite: it speaks Anthropic's Messages
API (`/v1/messages`, and through Bedrock's `/invoke` and `/invoke-with-response-stream` and
Vertex AI's `rawPredict`), OpenAI's chat completions (`/v1/chat/completions`) and Gemini's
`generateContent`, `streamGenerateContent?alt=sse` and `batchEmbedContents`, Bedrock's Converse
and Ollama's native `/api/chat`, `/api/generate` and `/api/embed` (NDJSON streams), answers each
request by the scenario named in its conversation (`[name]` in the messages), and records
every request (method, path, headers, body) for the suite to compare. It is also the OAuth
token endpoint (`/token`) the Vertex AI cases' service account names: those requests are
kept apart (`tokens`), as each gateway mints on its own schedule.

The event sequences follow the providers' documented wire formats:
https://docs.anthropic.com/en/docs/build-with-claude/streaming and
https://platform.openai.com/docs/api-reference/chat-streaming and
https://ai.google.dev/api/generate-content (GenerateContentResponse, streamed as SSE events of
whole responses, `\r\n\r\n`-separated as Google's servers send them) and
https://github.com/ollama/ollama/blob/main/docs/api.md (one JSON object per line, `done: true`
on the last, `{"error": "..."}` for errors, in a stream too),
https://docs.cohere.com/reference/chat (v2 `/v2/chat`, its stream's named SSE events),
https://docs.cohere.com/reference/embed and https://docs.cohere.com/reference/rerank.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _event(name: str, obj: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(obj)}\n\n"


_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 472,
            "cache_creation_input_tokens": 3,
            "cache_read_input_tokens": 5,
            "output_tokens": 2,
        },
    },
}


def _block_start(index: int, block: dict) -> str:
    return _event("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})


def _block_delta(index: int, delta: dict) -> str:
    return _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _block_stop(index: int) -> str:
    return _event("content_block_stop", {"type": "content_block_stop", "index": index})


def _message_end(reason: str, output_tokens: int = 89) -> str:
    delta = {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None}, "usage": {"output_tokens": output_tokens}}
    return _event("message_delta", delta) + _event("message_stop", {"type": "message_stop"})


ANTHROPIC_STREAMS = {
    "text": [
        _event("message_start", _START),
        _block_start(0, {"type": "text", "text": ""}),
        _event("ping", {"type": "ping"}),
        _block_delta(0, {"type": "text_delta", "text": "Hello"}),
        _block_delta(0, {"type": "text_delta", "text": " there \u00e9 \"q\"\n"}),
        _block_delta(0, {"type": "text_delta", "text": ""}),
        _block_stop(0),
        _message_end("end_turn", 12),
    ],
    "tool": [
        _event("message_start", _START),
        _block_start(0, {"type": "text", "text": ""}),
        _block_delta(0, {"type": "text_delta", "text": "Okay"}),
        _block_stop(0),
        _block_start(1, {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}),
        _block_delta(1, {"type": "input_json_delta", "partial_json": ""}),
        _block_delta(1, {"type": "input_json_delta", "partial_json": "{\"location\":"}),
        _block_delta(1, {"type": "input_json_delta", "partial_json": " \"SF\"}"}),
        _block_stop(1),
        _block_start(2, {"type": "tool_use", "id": "toolu_02", "name": "now", "input": {}}),
        _block_stop(2),
        _message_end("tool_use"),
    ],
    "thinking": [
        _event("message_start", _START),
        _block_start(0, {"type": "thinking", "thinking": ""}),
        _block_delta(0, {"type": "thinking_delta", "thinking": "Let me think about it."}),
        _block_delta(0, {"type": "signature_delta", "signature": "EqQBsig"}),
        _block_stop(0),
        _block_start(1, {"type": "redacted_thinking", "data": "REDACTED"}),
        _block_stop(1),
        _block_start(2, {"type": "text", "text": ""}),
        _block_delta(2, {"type": "text_delta", "text": "Answer"}),
        _block_stop(2),
        _message_end("max_tokens", 50),
    ],
    "error": [
        _event("message_start", _START),
        _block_start(0, {"type": "text", "text": ""}),
        _block_delta(0, {"type": "text_delta", "text": "Par"}),
        _event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ],
}

ANTHROPIC_MESSAGES = {
    "text": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
             "content": [{"type": "text", "text": "Hello there"}], "stop_reason": "end_turn",
             "stop_sequence": None, "usage": {"input_tokens": 47, "output_tokens": 12}},
    "tool": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
             "content": [{"type": "text", "text": "Okay"},
                         {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "SF", "units": ["C", "\u00e9"]}}],
             "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 472, "output_tokens": 89}},
    "thinking": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
                 "content": [{"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
                             {"type": "text", "text": "Answer"}],
                 "stop_reason": "end_turn", "stop_sequence": None,
                 "usage": {"input_tokens": 47, "output_tokens": 50, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 5}},
}


def _chunk(delta: dict, finish: str | None = None) -> str:
    c = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1700000000, "model": "my-llama",
         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return "data: " + json.dumps(c) + "\n\n"


def _usage_chunk() -> str:
    return "data: " + json.dumps({"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1700000000,
                                  "model": "my-llama", "choices": [],
                                  "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}}) + "\n\n"


_DONE = "data: [DONE]\n\n"

CHAT_STREAMS = {
    "text": [_chunk({"role": "assistant", "content": ""}), _chunk({"content": "Hel"}), _chunk({"content": "lo"}),
             _chunk({}, "stop"), _usage_chunk(), _DONE],
    "tool": [_chunk({"role": "assistant", "content": None}), _chunk({"content": "Let me check."}),
             _chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
             _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
             _chunk({"tool_calls": [{"index": 0, "function": {"arguments": " \"Paris\"}"}}]}),
             _chunk({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}),
             _chunk({}, "tool_calls"), _usage_chunk(), _DONE],
    "length": [_chunk({"role": "assistant", "content": "cut"}), _chunk({}, "length"), _usage_chunk(), _DONE],
    "thinking": [_chunk({"role": "assistant", "reasoning_content": "Think"}), _chunk({"reasoning_content": "ing."}),
                 _chunk({"content": "Done"}), _chunk({}, "stop"), _usage_chunk(), _DONE],
}


def _completion(message: dict, finish: str, usage: dict | None = None) -> dict:
    return {"id": "chatcmpl-up", "object": "chat.completion", "created": 1700000000, "model": "my-llama",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}}


def _text_chunk(text: str, finish: str | None = None) -> str:
    c = {"id": "cmpl-up", "object": "text_completion", "created": 1700000000, "model": "my-llama",
         "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}]}
    return "data: " + json.dumps(c) + "\n\n"


#: OpenAI's legacy text completions (https://platform.openai.com/docs/api-reference/completions),
#: whole and streamed (the usage chunk has no choices, as with chat).
TEXT_COMPLETION = {"id": "cmpl-up", "object": "text_completion", "created": 1700000000, "model": "my-llama",
                   "choices": [{"text": "Hello", "index": 0, "logprobs": None, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}
TEXT_STREAM = [_text_chunk("Hel"), _text_chunk("lo"), _text_chunk("", "stop"),
               "data: " + json.dumps({"id": "cmpl-up", "object": "text_completion", "created": 1700000000,
                                      "model": "my-llama", "choices": [],
                                      "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}) + "\n\n",
               _DONE]


CHAT_COMPLETIONS = {
    "text": _completion({"role": "assistant", "content": "Hello"}, "stop"),
    "tool": _completion({"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}, "tool_calls",
        {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19, "prompt_tokens_details": {"cached_tokens": 4}}),
    "length": _completion({"role": "assistant", "content": "cut"}, "length"),
    "thinking": _completion({"role": "assistant", "content": "Done", "reasoning_content": "Thinking."}, "stop"),
}


#: Gemini answers by scenario: the candidate's parts, finish reason and usage.
_GEMINI_USAGE = {"promptTokenCount": 8, "candidatesTokenCount": 12, "totalTokenCount": 20,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]}


def _gemini(parts: list | None, finish: str | None, usage: dict | None = None, **extra) -> dict:
    out: dict = {}
    if parts is not None or finish is not None:
        candidate: dict = {}
        if parts is not None:
            candidate["content"] = {"parts": parts, "role": "model"}
        if finish is not None:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        out["candidates"] = [candidate]
    out.update(extra)
    if usage is not None:
        out["usageMetadata"] = usage
    out["modelVersion"] = "gemini-2.5-flash"
    out["responseId"] = "resp-gemini-1"
    return out


GEMINI_ANSWERS = {
    "text": _gemini([{"text": "Hello there \u00e9 \"q\""}], "STOP", _GEMINI_USAGE),
    "tool": _gemini([{"text": "Let me check."},
                     {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "units": ["C", "\u00e9"]}}},
                     {"functionCall": {"name": "now", "args": {}}}], "STOP", _GEMINI_USAGE),
    "thinking": _gemini([{"text": "Let me think.", "thought": True}, {"text": "Answer"}], "STOP",
                        {**_GEMINI_USAGE, "thoughtsTokenCount": 30, "totalTokenCount": 50,
                         "cachedContentTokenCount": 4}),
    "length": _gemini([{"text": "cut"}], "MAX_TOKENS", _GEMINI_USAGE),
    "safety": _gemini(None, "SAFETY", _GEMINI_USAGE),
    "blocked": {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
                "modelVersion": "gemini-2.5-flash", "responseId": "resp-gemini-1"},
}

GEMINI_STREAMS = {
    "text": [_gemini([{"text": "Hel"}], None, {"promptTokenCount": 8, "totalTokenCount": 8}),
             _gemini([{"text": "lo \u00e9"}], None, {"promptTokenCount": 8, "totalTokenCount": 8}),
             _gemini([{"text": ""}], "STOP", _GEMINI_USAGE)],
    "tool": [_gemini([{"text": "Let me check."}], None),
             _gemini([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                      {"functionCall": {"name": "now", "args": {}}}], "STOP", _GEMINI_USAGE)],
    "thinking": [_gemini([{"text": "Think", "thought": True}], None),
                 _gemini([{"text": "Done"}], "STOP", {**_GEMINI_USAGE, "thoughtsTokenCount": 30, "totalTokenCount": 50})],
    "length": [_gemini([{"text": "cut"}], "MAX_TOKENS", _GEMINI_USAGE)],
}

#: Gemini's error statuses (https://ai.google.dev/gemini-api/docs/troubleshooting).
GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
                 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 529: "UNAVAILABLE"}


#: Error answers by scenario: (status, Anthropic error type, message). The OpenAI-format
#: route answers the same status with OpenAI's error shape.
ERRORS = {
    "err-too-long": (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    "err-content": (400, "invalid_request_error", "Output blocked by content filtering policy"),
    "err-400": (400, "invalid_request_error", "messages: field required"),
    "err-401": (401, "authentication_error", "invalid x-api-key"),
    "err-403": (403, "permission_error", "Your API key does not have permission"),
    "err-404": (404, "not_found_error", "model: claude-nope"),
    "err-413": (413, "request_too_large", "Request exceeds the maximum allowed number of bytes"),
    "err-429": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    "err-500": (500, "api_error", "Internal server error"),
    "err-502": (502, "api_error", "Bad gateway"),
    "err-503": (503, "api_error", "Service unavailable"),
    "err-504": (504, "api_error", "Gateway timeout"),
    "err-529": (529, "overloaded_error", "Overloaded"),
    # Cohere's own wordings, which LiteLLM reads before the status.
    "err-co-token": (401, "authentication_error", "invalid api token"),
    "err-co-tokens": (400, "invalid_request_error", "too many tokens: size limit exceeded by 1200 tokens"),
    "err-422": (422, "invalid_request_error", "invalid request: message must be at least 1 token long"),
    # Wordings LiteLLM's OpenAI-compatible mapping reads before the status.
    "err-ctx": (400, "invalid_request_error",
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."),
    "err-rate-text": (400, "invalid_request_error", "Rate limit reached for requests per min"),
    "err-safety": (400, "invalid_request_error", "Your request was rejected as a result of the safety system."),
    "err-nomodel": (400, "invalid_request_error", "The model does not exist or you do not have access (model_not_found)"),
    "err-timeout-text": (500, "api_error", "A timeout occurred while waiting"),
}

#: Azure OpenAI's own error answers by scenario (status, body): its content filter (code and
#: inner error), a context window, a missing deployment
#: (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference).
AZURE_ERRORS = {
    "err-az-filter": (400, {"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                   "Please modify your prompt and retry.",
        "type": None, "param": "prompt", "code": "content_filter", "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation",
                       "content_filter_result": {"hate": {"filtered": True, "severity": "high"}}}}}),
    "err-az-context": (400, {"error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. "
                   "Please reduce the length of the messages.",
        "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}),
    "err-az-deployment": (404, {"error": {
        "code": "DeploymentNotFound",
        "message": "The API deployment for this resource does not exist. If you created the deployment within the last "
                   "5 minutes, please wait a moment and try again."}}),
    "err-az-plain-400": (400, {"error": {"message": "Invalid value for 'temperature'", "type": "bad_value",
                                         "param": "temperature", "code": None}}),
}

#: Cohere v2 answers by scenario (`/v2/chat`).
COHERE_USAGE = {"billed_units": {"input_tokens": 5, "output_tokens": 2}, "tokens": {"input_tokens": 71, "output_tokens": 2}}
COHERE_ANSWERS = {
    "text": {"id": "co-1", "finish_reason": "COMPLETE", "usage": COHERE_USAGE,
             "message": {"role": "assistant", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " world"}]}},
    "length": {"id": "co-2", "finish_reason": "MAX_TOKENS", "usage": COHERE_USAGE,
               "message": {"role": "assistant", "content": [{"type": "text", "text": "Hel"}]}},
    "tool": {"id": "co-3", "finish_reason": "TOOL_CALL", "usage": COHERE_USAGE,
             "message": {"role": "assistant", "tool_plan": "I will look up the weather.", "tool_calls": [
                 {"id": "get_weather_x1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                 {"id": "now_x2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}},
    "cite": {"id": "co-4", "finish_reason": "COMPLETE", "usage": {"tokens": {"input_tokens": 9}},
             "message": {"role": "assistant", "content": [{"type": "text", "text": "Paris is sunny."}], "citations": [
                 {"start": 0, "end": 5, "text": "Paris", "type": "TEXT_CONTENT", "sources": [
                     {"type": "document", "id": "doc_0", "document": {"title": "Weather", "snippet": "sunny"}},
                     {"type": "tool", "id": "tool_1", "tool_output": {"x": 1}},
                     {"type": "document", "id": "doc_1", "url": "https://example.com/w", "document": {}}]}]}},
}


def _cohere_event(obj: dict) -> str:
    return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n"


#: Cohere v2 streams by scenario: named events, as https://docs.cohere.com/docs/streaming lists them.
COHERE_STREAMS = {
    "text": [
        {"id": "co-s1", "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hello"}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": " world"}}}},
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": COHERE_USAGE}},
    ],
    "tool": [
        {"id": "co-s2", "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}},
        {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will look it up."}}},
        {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {"id": "get_weather_x1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}}}},
        {"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "{\"city\":"}}}}},
        {"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": "\"Paris\"}"}}}}},
        {"type": "tool-call-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": COHERE_USAGE}},
    ],
}


def _cohere_embed(body: dict) -> dict:
    texts = body.get("texts") or body.get("images") or []
    types = body.get("embedding_types") or ["float"]
    answer = {"id": "emb-1", "embeddings": {t: [[0.25, -0.5, i + 0.125] for i, _ in enumerate(texts)] for t in types},
              "texts": texts, "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 3 * len(texts)}}}
    if "[nometa]" in json.dumps(texts):
        del answer["meta"]
    return answer


def _cohere_rerank(body: dict) -> dict:
    docs = body.get("documents") or []
    results = []
    for i, d in enumerate(docs):
        r = {"index": i, "relevance_score": round(0.9 - 0.1 * i, 3)}
        if body.get("return_documents"):
            r["document"] = {"text": d} if isinstance(d, str) else dict(d)
            if "[nodoc]" in body.get("query", ""):
                r["document"].pop("text", None)
        results.append(r)
    results = results[: body.get("top_n") or len(results)]
    return {"id": "rr-1", "results": results, "extra": 1,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}, "warnings": ["w"]}}


def _aws_message(message_type: str, name: str, payload: dict) -> bytes:
    """One AWS event-stream message (prelude, string headers, JSON payload, two CRC32s), as
    Bedrock's ConverseStream sends them."""
    name_header = {"event": ":event-type", "exception": ":exception-type"}[message_type]
    headers = {":message-type": message_type, name_header: name, ":content-type": "application/json"}
    hb = b"".join(struct.pack(">B", len(k)) + k.encode() + b"\x07" + struct.pack(">H", len(v)) + v.encode()
                  for k, v in headers.items())
    data = json.dumps({**payload, "p": "abcdefgh"}).encode()
    prelude = struct.pack(">II", 12 + len(hb) + len(data) + 4, len(hb))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + hb + data
    return message + struct.pack(">I", binascii.crc32(message))


_BR_USAGE = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 20, "cacheReadInputTokens": 3, "cacheWriteInputTokens": 2}

BEDROCK_ANSWERS = {
    "text": {"output": {"message": {"role": "assistant", "content": [{"text": "Hello there \u00e9 \"q\""}]}},
             "stopReason": "end_turn", "usage": _BR_USAGE, "metrics": {"latencyMs": 12}},
    "tool": {"output": {"message": {"role": "assistant", "content": [
        {"text": "Let me check."},
        {"toolUse": {"toolUseId": "tooluse_A", "name": "get_weather", "input": {"city": "Paris", "units": ["C"]}}},
        {"toolUse": {"toolUseId": "tooluse_B", "name": "now", "input": {}}}]}},
        "stopReason": "tool_use", "usage": {"inputTokens": 20, "outputTokens": 7, "totalTokens": 27}, "metrics": {"latencyMs": 12}},
    "thinking": {"output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "Thinking", "signature": "SIG"}}}, {"text": "Answer"}]}},
        "stopReason": "end_turn", "usage": {"inputTokens": 5, "outputTokens": 50, "totalTokens": 55}, "metrics": {"latencyMs": 1}},
    "length": {"output": {"message": {"role": "assistant", "content": [{"text": "cut"}]}},
               "stopReason": "max_tokens", "usage": _BR_USAGE, "metrics": {"latencyMs": 1}},
}


def _br(name: str, payload: dict) -> bytes:
    return _aws_message("event", name, payload)


BEDROCK_STREAMS = {
    "text": [_br("messageStart", {"role": "assistant"}),
             _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}}),
             _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " there \u00e9"}}),
             _br("contentBlockStop", {"contentBlockIndex": 0}),
             _br("messageStop", {"stopReason": "end_turn"}),
             _br("metadata", {"usage": _BR_USAGE, "metrics": {"latencyMs": 100}})],
    "tool": [_br("messageStart", {"role": "assistant"}),
             _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me check."}}),
             _br("contentBlockStop", {"contentBlockIndex": 0}),
             _br("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_A", "name": "get_weather"}}}),
             _br("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\": "}}}),
             _br("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
             _br("contentBlockStop", {"contentBlockIndex": 1}),
             _br("contentBlockStart", {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_B", "name": "now"}}}),
             _br("contentBlockStop", {"contentBlockIndex": 2}),
             _br("messageStop", {"stopReason": "tool_use"}),
             _br("metadata", {"usage": {"inputTokens": 20, "outputTokens": 7, "totalTokens": 27}, "metrics": {"latencyMs": 100}})],
    "thinking": [_br("messageStart", {"role": "assistant"}),
                 _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Think"}}}),
                 _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "ing"}}}),
                 _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "SIG"}}}),
                 _br("contentBlockStop", {"contentBlockIndex": 0}),
                 _br("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "Answer"}}),
                 _br("contentBlockStop", {"contentBlockIndex": 1}),
                 _br("messageStop", {"stopReason": "max_tokens"}),
                 _br("metadata", {"usage": {"inputTokens": 5, "outputTokens": 50, "totalTokens": 55}, "metrics": {"latencyMs": 1}})],
    "throttle": [_br("messageStart", {"role": "assistant"}),
                 _aws_message("exception", "throttlingException", {"message": "Too many tokens, please wait."})],
    "internal": [_br("messageStart", {"role": "assistant"}),
                 _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
                 _aws_message("exception", "internalServerException", {"message": "Internal error."})],
    "error": [_br("messageStart", {"role": "assistant"}),
              _br("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
              _aws_message("exception", "validationException", {"message": "Bad things happened."})],
}


def _invoke_chunks(events: list[str]) -> bytes:
    """An Anthropic event stream as Bedrock's InvokeModelWithResponseStream sends it: each
    event's JSON base64-encoded in a `chunk` message, `message_stop` carrying the invocation
    metrics; an `error` event becomes the exception Bedrock sends instead."""
    out = b""
    for event in "".join(events).split("\n\n"):
        if "data: " not in event:
            continue
        data = json.loads(event.split("data: ", 1)[1])
        if data["type"] == "error":
            out += _aws_message("exception", "modelStreamErrorException", {"message": data["error"]["message"]})
            continue
        if data["type"] == "message_stop":
            data["amazon-bedrock-invocationMetrics"] = {"inputTokenCount": 472, "outputTokenCount": 89,
                                                        "invocationLatency": 1200, "firstByteLatency": 300}
        out += _br("chunk", {"bytes": base64.b64encode(json.dumps(data).encode()).decode()})
    return out


_OLLAMA_END = {"total_duration": 5043500667, "load_duration": 5025959, "prompt_eval_count": 26,
               "prompt_eval_duration": 325953000, "eval_count": 9, "eval_duration": 4709213000}


def _ollama(path: str, done: bool, content: str = "", reason: str | None = None, **message) -> dict:
    """One Ollama answer object: `/api/chat`'s (a `message`) or `/api/generate`'s (`response`,
    with `thinking` beside it)."""
    out: dict = {"model": "llama3.2", "created_at": "2025-05-24T02:12:05.859654Z"}
    if path == "/api/chat":
        out["message"] = {"role": "assistant", "content": content, **message}
    else:
        out["response"] = content
        if "thinking" in message:
            out["thinking"] = message["thinking"]
    out["done"] = done
    if done:
        out["done_reason"] = reason or "stop"
        if path == "/api/generate":
            out["context"] = [1, 2, 3]
        out.update(_OLLAMA_END)
    return out


_OLLAMA_TOOL_CALLS = [{"function": {"name": "get_weather", "arguments": {"city": "Paris", "units": ["C", "\u00e9"]}}},
                      {"function": {"name": "now", "arguments": {}}}]


#: Tool calls as newer Ollama versions write them: with an id and an index.
_OLLAMA_TOOL_CALLS_IDS = [{"id": "call_ab12", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}},
                          {"id": "call_cd34", "function": {"index": 1, "name": "now", "arguments": {}}}]


def ollama_answer(path: str, name: str) -> dict:
    if name == "tool" and path == "/api/chat":
        return _ollama(path, True, "", tool_calls=_OLLAMA_TOOL_CALLS)
    if name == "tool-ids" and path == "/api/chat":
        return _ollama(path, True, "", tool_calls=_OLLAMA_TOOL_CALLS_IDS)
    if name == "thinking":
        return _ollama(path, True, "Answer", thinking="Let me think.")
    if name == "think-tags":
        return _ollama(path, True, "<think>Hmm.</think>Answer")
    if name == "length":
        return _ollama(path, True, "cut", "length")
    if name == "json":
        return _ollama(path, True, "{\"a\": \"b\"}")
    if name == "tool" and path == "/api/generate":
        return _ollama(path, True, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}")
    return _ollama(path, True, "Hello there \u00e9 \"q\"")


def ollama_stream(path: str, name: str) -> list[dict]:
    if name == "tool-ids" and path == "/api/chat":
        return [_ollama(path, False, "", tool_calls=_OLLAMA_TOOL_CALLS_IDS), _ollama(path, True, "")]
    if name == "tool" and path == "/api/chat":
        return [_ollama(path, False, "Let me check."),
                _ollama(path, False, "", tool_calls=_OLLAMA_TOOL_CALLS[:1]),
                _ollama(path, False, "", tool_calls=_OLLAMA_TOOL_CALLS[1:]),
                _ollama(path, True, "")]
    if name == "tool" and path == "/api/generate":
        return [_ollama(path, False, "```json\n{\"name\": \"get_weather\", "),
                _ollama(path, False, "\"arguments\": {\"city\": \"P\u00e4ris\"}}\n```"), _ollama(path, True, "")]
    if name == "think-tags":
        return [_ollama(path, False, "<think>Hmm"), _ollama(path, False, ".</think>Ans"), _ollama(path, False, "wer"),
                _ollama(path, True, "")]
    if name == "thinking":
        return [_ollama(path, False, "", thinking="Think"), _ollama(path, False, "", thinking="ing."),
                _ollama(path, False, "Done"), _ollama(path, True, "")]
    if name == "length":
        return [_ollama(path, False, "cut"), _ollama(path, True, "", "length")]
    if name == "error":
        return [_ollama(path, False, "Par"), {"error": "an error was encountered while running the model: unexpected EOF"}]
    return [_ollama(path, False, "Hel"), _ollama(path, False, "lo \u00e9"), _ollama(path, True, "")]


#: OpenAI's Responses API (https://platform.openai.com/docs/api-reference/responses/object):
#: the id of every response, and of its message.
RESPONSE_ID = "resp_0abc123def456"
RESPONSE_MESSAGE_ID = "msg_0abc123def456"


def _response(status: str, output: list, usage: dict | None, **extra) -> dict:
    return {"id": RESPONSE_ID, "object": "response", "created_at": 1741476542, "status": status,
            "background": False, "error": None, "incomplete_details": None, "instructions": None,
            "max_output_tokens": None, "max_tool_calls": None, "model": "gpt-4o-2024-08-06", "output": output,
            "parallel_tool_calls": True, "previous_response_id": None, "prompt_cache_key": None,
            "reasoning": {"effort": None, "summary": None}, "safety_identifier": None, "service_tier": "default",
            "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto", "tools": [], "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled",
            "usage": usage, "user": None, "metadata": {}, **extra}


def _response_message(text: str, status: str = "completed") -> dict:
    return {"id": RESPONSE_MESSAGE_ID, "type": "message", "status": status, "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}]}


RESPONSE_USAGE = {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}

#: Non-stream answers by scenario.
RESPONSES = {
    "text": _response("completed", [_response_message("Hello there \u00e9")], RESPONSE_USAGE, zz_unknown_field={"a": 1}),
    "tool": _response("completed", [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Think."}], "status": None},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
         "arguments": "{\"city\":\"Paris\"}", "status": "completed"}], RESPONSE_USAGE),
}


def _response_events(name: str) -> list[str]:
    """A stream of the named events; `fail` fails after the first text, `cut` stops before its end."""
    events = []

    def push(kind: str, **fields) -> None:
        event = {"type": kind, "sequence_number": len(events), **fields}
        events.append(f"event: {kind}\ndata: {json.dumps(event)}\n\n")

    started = _response("in_progress", [], None)
    push("response.created", response=started)
    push("response.in_progress", response=started)
    item = {"id": RESPONSE_MESSAGE_ID, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    push("response.output_item.added", output_index=0, item=item)
    at = {"item_id": RESPONSE_MESSAGE_ID, "output_index": 0, "content_index": 0}
    push("response.content_part.added", **at, part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""})
    push("response.output_text.delta", **at, delta="Hello", logprobs=[], obfuscation="abc")
    if name == "fail":
        push("response.failed", response=_response("failed", [], None,
                                                    error={"code": "server_error", "message": "boom"}))
        return events
    push("response.output_text.delta", **at, delta=" there", logprobs=[], obfuscation="de")
    if name == "cut":
        return events
    push("response.output_text.done", **at, text="Hello there", logprobs=[])
    push("response.content_part.done", **at, part={"type": "output_text", "annotations": [], "logprobs": [], "text": "Hello there"})
    push("response.output_item.done", output_index=0, item=_response_message("Hello there"))
    push("response.completed", response=_response("completed", [_response_message("Hello there")], RESPONSE_USAGE))
    return events


def _stored_response(handler: BaseHTTPRequestHandler, method: str) -> None:
    """A stored response's read, deletion, input items or cancellation: any id is found."""
    path = handler.path.split("?")[0]
    if "/responses/" not in path:
        _send(handler, 404, "application/json", json.dumps({"error": {"message": f"no route for {path}"}}).encode())
        return
    rest = path.split("/responses/", 1)[1]
    rid, _, tail = rest.partition("/")
    if method == "DELETE":
        answer = {"id": rid, "object": "response", "deleted": True}
    elif tail == "input_items":
        answer = {"object": "list", "data": [{"id": "msg_in1", "type": "message", "role": "user", "status": "completed",
                                              "content": [{"type": "input_text", "text": "Hi"}]}],
                  "first_id": "msg_in1", "last_id": "msg_in1", "has_more": False}
    elif tail == "cancel":
        answer = _response("cancelled", [], None, id=rid)
    else:
        answer = _response("completed", [_response_message("Hello there")], RESPONSE_USAGE, id=rid)
    _send(handler, 200, "application/json", json.dumps(answer).encode())


def _send(handler: BaseHTTPRequestHandler, status: int, content_type: str, data: bytes) -> None:
    # The answer is kept with its request, for the golden fixtures (diff.py DIFF_CAPTURE).
    record = getattr(handler, "record", None)
    if record is not None:
        record["answer"] = {"status": status, "content_type": content_type, "bytes": data}
    handler.send_response(status)
    handler.send_header("content-type", content_type)
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Upstream:
    """The provider, on an ephemeral port, in a background thread."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.tokens: list[dict] = []
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if self.path == "/token":
                    with upstream.lock:
                        upstream.tokens.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                                "form": raw.decode()})
                    token = {"access_token": "ya29.differential", "expires_in": 3599, "token_type": "Bearer"}
                    _send(self, 200, "application/json", json.dumps(token).encode())
                    return
                if "/responses/" in self.path:
                    self.record = {"method": "POST", "path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": json.loads(raw) if raw else None}
                    with upstream.lock:
                        upstream.requests.append(self.record)
                    _stored_response(self, "POST")
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                self.record = {"method": "POST", "path": self.path,
                               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with upstream.lock:
                    upstream.requests.append(self.record)
                upstream.answer(self, body or {})

            def _stored(self, method: str) -> None:
                length = int(self.headers.get("content-length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                self.record = {"method": method, "path": self.path,
                               "headers": {k.lower(): v for k, v in self.headers.items()},
                               "body": json.loads(raw) if raw else None}
                with upstream.lock:
                    upstream.requests.append(self.record)
                _stored_response(self, method)

            def do_GET(self) -> None:
                self._stored("GET")

            def do_DELETE(self) -> None:
                self._stored("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> list[dict]:
        with self.lock:
            seen, self.requests = self.requests, []
        return seen

    @staticmethod
    def scenario(body: dict, names) -> str:
        text = json.dumps(body.get("messages") or body.get("contents") or body.get("requests") or body.get("prompt")
                          or body.get("input") or body.get("instances") or body.get("inputText") or body.get("texts") or body.get("document")
                          or body.get("query") or body.get("queries"))
        return next((n for n in names if f"[{n}]" in text), "text")

    def answer(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        # Matched without the query: Azure's routes carry `?api-version=`.
        path = handler.path.split("?")[0]
        if path.endswith("/count-tokens"):
            # Bedrock's CountTokens (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html).
            _send(handler, 200, "application/json", json.dumps({"inputTokens": 23}).encode())
            return
        if "count-tokens:rawPredict" in handler.path or path.endswith(":countTokens"):
            # Vertex AI's count-tokens for Claude (Anthropic's answer), Gemini's countTokens.
            answer = {"input_tokens": 31} if "rawPredict" in handler.path else {"totalTokens": 17}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        stream = body.get("stream") is True
        azure_error = self.scenario(body, AZURE_ERRORS)
        if azure_error in AZURE_ERRORS:
            status, shape = AZURE_ERRORS[azure_error]
            _send(handler, status, "application/json", json.dumps(shape).encode())
            return
        error = self.scenario(body, ERRORS)
        if error in ERRORS:
            status, kind, message = ERRORS[error]
            if path.endswith("/completions") or path.endswith("/responses"):
                shape = {"error": {"message": message, "type": kind, "param": None, "code": None}}
            elif "RawPredict" in handler.path or "rawPredict" in handler.path:
                shape = {"type": "error", "error": {"type": kind, "message": message}}
            elif handler.path.startswith("/api/"):
                shape = {"error": message}
            elif "/converse" in handler.path or "/invoke" in handler.path or "/v2/" in handler.path or "queries" in body:
                shape = {"message": message}
            elif ":" in handler.path:
                shape = {"error": {"code": status, "message": message, "status": GEMINI_STATUS[status]}}
            else:
                shape = {"type": "error", "error": {"type": kind, "message": message}}
            _send(handler, status, "application/json", json.dumps(shape).encode())
            return
        if handler.path in ("/api/chat", "/api/generate"):
            names = ("tool-ids", "tool", "thinking", "think-tags", "length", "json", "error")
            name = self.scenario(body, names)
            if stream:
                payload = "".join(json.dumps(o) + "\n" for o in ollama_stream(handler.path, name))
                _send(handler, 200, "application/x-ndjson", payload.encode())
            else:
                _send(handler, 200, "application/json; charset=utf-8", json.dumps(ollama_answer(handler.path, name)).encode())
            return
        if handler.path == "/api/embed":
            embeddings = [[0.25, -0.5, i + 0.125] for i, _ in enumerate(body.get("input") or [])]
            answer = {"model": "nomic-embed-text", "embeddings": embeddings, "total_duration": 14143917,
                      "load_duration": 1019500, "prompt_eval_count": 8}
            _send(handler, 200, "application/json; charset=utf-8", json.dumps(answer).encode())
            return
        if path.endswith("/v2/chat"):
            if stream:
                payload = "".join(_cohere_event(e) for e in COHERE_STREAMS[self.scenario(body, COHERE_STREAMS)])
                _send(handler, 200, "text/event-stream", payload.encode())
            else:
                _send(handler, 200, "application/json", json.dumps(COHERE_ANSWERS[self.scenario(body, COHERE_ANSWERS)]).encode())
            return
        if path.endswith("/v2/embed"):
            _send(handler, 200, "application/json", json.dumps(_cohere_embed(body)).encode())
            return
        if path.endswith("/v2/rerank"):
            _send(handler, 200, "application/json", json.dumps(_cohere_rerank(body)).encode())
            return
        if handler.path == "/rerank" and "queries" in body:
            # Bedrock's Rerank API (API_agent-runtime_Rerank): scores by index, no documents.
            count = len(body.get("sources") or [])
            wanted = body["rerankingConfiguration"]["bedrockRerankingConfiguration"].get("numberOfResults") or count
            results = [{"index": i, "relevanceScore": 0.75 - i / 8} for i in range(min(count, wanted))]
            _send(handler, 200, "application/json", json.dumps({"results": results}).encode())
            return
        if path.endswith("/rerank") and handler.headers.get("authorization") == "Bearer jina-upstream":
            # Jina AI's rerank (https://jina.ai/reranker): documents as strings, a usage.
            docs = body.get("documents") or []
            results = [{"index": i, "relevance_score": 0.9 - i / 10,
                        **({"document": {"text": d} if isinstance(d, str) else d} if body.get("return_documents") else {})}
                       for i, d in enumerate(docs)][: body.get("top_n") or len(docs)]
            answer = {"model": body.get("model"), "usage": {"total_tokens": 15}, "results": results}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/embeddings") and handler.headers.get("authorization") == "Bearer pa-upstream":
            # Voyage AI's embeddings (https://docs.voyageai.com/reference/embeddings-api): its
            # usage has total_tokens only.
            inputs = body.get("input")
            inputs = inputs if isinstance(inputs, list) else [inputs]
            dims = body.get("output_dimension") or 3
            data = [{"object": "embedding", "embedding": [round(0.1 * (i + 1), 1)] * dims, "index": i}
                    for i in range(len(inputs))]
            answer = {"object": "list", "data": data, "model": body.get("model"), "usage": {"total_tokens": 5 * len(inputs)}}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/embeddings") and (handler.headers.get("authorization") == "Bearer sk-upstream"
                                             or handler.headers.get("api-key") == "az-upstream"):
            # OpenAI's embeddings (https://platform.openai.com/docs/api-reference/embeddings).
            inputs = body.get("input")
            inputs = inputs if isinstance(inputs, list) else [inputs]
            data = [{"object": "embedding", "index": i, "embedding": [0.5, -0.5]} for i in range(len(inputs))]
            answer = {"object": "list", "data": data, "model": body.get("model"),
                      "usage": {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)}}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/rerank") and handler.headers.get("authorization") == "Bearer pa-upstream":
            # Voyage AI's rerank (https://docs.voyageai.com/reference/reranker-api): results as
            # `data`, documents as strings when asked, top_k.
            docs = body.get("documents") or []
            data = [{"relevance_score": 0.5 - i / 10, "index": i,
                     **({"document": d} if body.get("return_documents") else {})}
                    for i, d in enumerate(docs)][: body.get("top_k") or len(docs)]
            answer = {"object": "list", "data": data, "model": body.get("model"), "usage": {"total_tokens": 26}}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/rerank"):
            # vLLM's rerank (Cohere's shape, its usage instead of meta).
            answer = _cohere_rerank(body)
            del answer["meta"]
            answer.update(id="rr-vllm", usage={"total_tokens": 9})
            for r in answer["results"]:
                r["relevance_score"] = 1 if r["index"] == 0 else r["relevance_score"]
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/converse-stream"):
            payload = b"".join(BEDROCK_STREAMS[self.scenario(body, BEDROCK_STREAMS)])
            _send(handler, 200, "application/vnd.amazon.eventstream", payload)
            return
        if ":streamRawPredict" in handler.path:
            _send(handler, 200, "text/event-stream", "".join(ANTHROPIC_STREAMS[self.scenario(body, ANTHROPIC_STREAMS)]).encode())
            return
        if path.endswith(":rawPredict"):
            name = self.scenario(body, ANTHROPIC_MESSAGES)
            _send(handler, 200, "application/json", json.dumps(ANTHROPIC_MESSAGES.get(name, ANTHROPIC_MESSAGES["text"])).encode())
            return
        if path.endswith("/invoke-with-response-stream"):
            payload = _invoke_chunks(ANTHROPIC_STREAMS[self.scenario(body, ANTHROPIC_STREAMS)])
            _send(handler, 200, "application/vnd.amazon.eventstream", payload)
            return
        if path.endswith("/invoke") and ("inputText" in body or "inputImage" in body):
            # Titan's embeddings: one input a request; v2 answers by type too.
            text = body.get("inputText", "")
            vector = [0.25, -0.5, round(len(text) / 100, 2)]
            answer = {"embedding": vector, "inputTextTokenCount": max(1, len(text.split()))}
            if "titan-embed-text-v2" in handler.path:
                types = body.get("embeddingTypes", ["float"])
                answer["embeddingsByType"] = {t: ([1, 0, 1] if t == "binary" else vector) for t in types}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/invoke") and "texts" in body:
            # Cohere's embeddings on Bedrock: all inputs at once, by type when asked.
            vectors = [[0.125, -0.25, i + 0.5] for i, _ in enumerate(body["texts"])]
            answer = {"id": "emb-1", "texts": body["texts"]}
            if "embedding_types" in body:
                answer.update(embeddings={t: vectors for t in body["embedding_types"]}, response_type="embeddings_by_type")
            else:
                answer.update(embeddings=vectors, response_type="embeddings_floats")
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/invoke"):
            name = self.scenario(body, ANTHROPIC_MESSAGES)
            payload = json.dumps(ANTHROPIC_MESSAGES.get(name, ANTHROPIC_MESSAGES["text"]))
            _send(handler, 200, "application/json", payload.encode())
            return
        if path.endswith("/converse"):
            payload = json.dumps(BEDROCK_ANSWERS[self.scenario(body, BEDROCK_ANSWERS)])
            _send(handler, 200, "application/json", payload.encode())
            return
        if path.endswith("/ocr"):
            # Mistral's OCR answer (https://docs.mistral.ai/api/#tag/ocr).
            answer = {"pages": [{"index": 0, "markdown": "# Title\n\nHello \u00e9", "images": [],
                                 "dimensions": {"dpi": 200, "height": 2200, "width": 1700},
                                 "header": "H", "footer": None, "tables": [], "hyperlinks": []}],
                      "model": "mistral-ocr-2505-completion", "document_annotation": None,
                      "usage_info": {"pages_processed": 1, "doc_size_bytes": 3456}}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith("/v1/messages/count_tokens"):
            _send(handler, 200, "application/json", json.dumps({"input_tokens": 42}).encode())
            return
        if ":streamGenerateContent" in handler.path:
            name = self.scenario(body, GEMINI_STREAMS)
            payload = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in GEMINI_STREAMS[name])
            _send(handler, 200, "text/event-stream", payload.encode())
            return
        if path.endswith(":generateContent"):
            payload = json.dumps(GEMINI_ANSWERS[self.scenario(body, GEMINI_ANSWERS)])
            _send(handler, 200, "application/json", payload.encode())
            return
        if path.endswith(":batchEmbedContents"):
            embeddings = [{"values": [0.25, -0.5, i + 0.125]} for i, _ in enumerate(body.get("requests", []))]
            _send(handler, 200, "application/json", json.dumps({"embeddings": embeddings}).encode())
            return
        if path.endswith(":predict"):
            # Vertex AI's text embeddings (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api):
            # one prediction per instance, with its token count; billable characters in metadata.
            instances = body.get("instances") or []
            predictions = [{"embeddings": {"values": [0.25, -0.5, i + 0.125],
                                           "statistics": {"token_count": 3 + i, "truncated": False}}}
                           for i, _ in enumerate(instances)]
            answer = {"predictions": predictions,
                      "metadata": {"billableCharacterCount": sum(len(str(x.get("content", ""))) for x in instances)}}
            _send(handler, 200, "application/json", json.dumps(answer).encode())
            return
        if path.endswith(":embedContent"):
            _send(handler, 200, "application/json", json.dumps({"embedding": {"values": [0.25, -0.5]}}).encode())
            return
        if path.endswith("/responses"):
            if stream:
                name = self.scenario(body, ("fail", "cut"))
                payload = "".join(_response_events(name))
            else:
                payload = json.dumps(RESPONSES[self.scenario(body, RESPONSES)])
        elif path.endswith("/chat/completions"):
            name = self.scenario(body, CHAT_COMPLETIONS)
            payload = "".join(CHAT_STREAMS[name]) if stream else json.dumps(CHAT_COMPLETIONS[name])
        elif path.endswith("/completions"):
            payload = "".join(TEXT_STREAM) if stream else json.dumps(TEXT_COMPLETION)
        elif path.endswith("/v1/messages"):
            name = self.scenario(body, ANTHROPIC_STREAMS)
            if stream:
                payload = "".join(ANTHROPIC_STREAMS[name])
            else:
                payload = json.dumps(ANTHROPIC_MESSAGES.get(name, ANTHROPIC_MESSAGES["text"]))
        else:
            _send(handler, 404, "application/json",
                  json.dumps({"error": {"message": f"no route for {handler.path}"}}).encode())
            return
        _send(handler, 200, "text/event-stream" if stream else "application/json", payload.encode())
