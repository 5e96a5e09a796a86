"""The differential suite: the same client requests go to the LiteLLM proxy and to corelane,
both in front of one scripted, recording provider (upstream.py), and for each case the
suite compares what reached the provider (path, the headers that matter, the body as a JSON
value) and what the client got back (status, then the body as a JSON value, or a stream
event by event: names and JSON payloads), with ids and times masked.

Every deliberate difference is listed in exceptions.txt with a one-line reason; a difference
not listed there, or a listed one that no longer occurs, fails the run.

Run it with harness/differential/run.sh (it installs LiteLLM and builds corelane); DIFF_ONLY=<regex>
runs only the cases whose name matches (without the checks that need them all); DIFF_ALL=1
lists every difference of a part (else the first three).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from upstream import Upstream

HERE = Path(__file__).resolve().parent
#: The throwaway key of the Vertex cases' service account (the integration tests' own).
TEST_KEY = HERE.parent.parent / "server" / "tests" / "data" / "test-rsa-key.pem"
MASTER_KEY = "sk-differential-7d1f0c2b9a4e"
#: Upstream request headers compared (the rest are each client library's own).
HEADERS = ("authorization", "x-api-key", "api-key", "anthropic-version", "anthropic-beta", "x-goog-api-key", "x-amz-date",
           "x-amz-security-token")
#: SigV4's time-dependent parts (the date in the scope and the signature): masked, the rest of
#: the header compared (algorithm, key, region, service, signed headers).
_SIGV4_TIME = [(re.compile(r"Credential=([^/]+)/\d{8}/"), r"Credential=\1/DATE/"),
               (re.compile(r"Signature=[0-9a-f]{64}"), "Signature=SIG")]

WEATHER_TOOL = {"name": "get_weather", "description": "Weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}


def chat(model: str, scenario: str, stream: bool, **extra) -> dict:
    body = {"model": model, "messages": [{"role": "user", "content": f"[{scenario}] Hi"}], **extra}
    if stream:
        body["stream"] = True
    return body


def messages(model: str, scenario: str, stream: bool, **extra) -> dict:
    body = {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": f"[{scenario}] Hi"}], **extra}
    if stream:
        body["stream"] = True
    return body


CLAUDE_CODE_SHAPE = {
    "model": "vllm", "max_tokens": 32000, "thinking": {"type": "adaptive"},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "output_config": {"effort": "high"},
    "system": [{"type": "text", "text": "You are CC."}, {"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "[text] hi"}, {"type": "text", "text": "more", "cache_control": {"type": "ephemeral"}}]},
        {"role": "system", "content": "midturn note"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s1"},
                                          {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "a.txt"}], "is_error": False},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}]},
    ],
    "tools": [{"name": "Bash", "description": "Run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
               "cache_control": {"type": "ephemeral"}}],
    "temperature": 1,
}

GEMINI_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City"},
                                                    "units": {"type": "array", "items": {"type": "string", "enum": ["C", "F"]}}},
                   "required": ["city"], "additionalProperties": False, "$schema": "http://json-schema.org/draft-07/schema#"}}}

GEMINI_HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "system", "content": [{"type": "text", "text": "Second rule."}]},
    {"role": "user", "content": [{"type": "text", "text": "[text] What is in it?"},
                                 {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
    {"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": ""}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21C"},
    {"role": "tool", "tool_call_id": "call_2", "content": "{\"time\": \"12:00\"}"},
    {"role": "user", "content": "And tomorrow?"},
    {"role": "user", "content": "Please."},
]

#: A conversation /api/generate flattens (GEMINI_HISTORY's empty tool arguments make LiteLLM's
#: ollama_pt fail with a JSONDecodeError).
OLLAMA_HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "system", "content": [{"type": "text", "text": "Second rule."}]},
    {"role": "user", "content": [{"type": "text", "text": "[text] What is in it?"}, {"type": "text", "text": "Look."},
                                 {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
    {"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"P\u00e4ris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21C"},
    {"role": "user", "content": "And tomorrow?"},
    {"role": "assistant", "content": "Rain."},
    {"role": "assistant", "content": [{"type": "text", "text": "Maybe."}]},
    {"role": "user", "content": "Thanks."},
]

#: (name, route, body): every family and route the suite covers.
#: The OpenAI parameters a chat request may carry, for the parameter-table cases.
PARAMS = {"max_completion_tokens": 20, "temperature": 0.5, "top_p": 0.9, "user": "u1", "seed": 7, "n": 1, "stop": ["zz"],
          "presence_penalty": 0.1, "frequency_penalty": 0.1, "logprobs": False, "response_format": {"type": "json_object"},
          "metadata": {"tag": "x"}, "foo_extra": 1, "parallel_tool_calls": True,
          "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "tool_choice": "auto"}

#: The deployments of OpenAI-format providers (name: LiteLLM model) on the scripted upstream's
#: `/v1` with one key.
OPENAI_FORMAT = {
    "vllm": "hosted_vllm/my-llama",
    "gpt": "openai/gpt-4o",
    "o3m": "openai/o3-mini",
    "g5": "openai/gpt-5-mini",
    "g51": "openai/gpt-5.1",
    "g55": "openai/gpt-5.5",
    "dsr": "deepseek/deepseek-reasoner",
    "kimi": "moonshot/kimi-k2.5",
    "copenai": "custom_openai/gpt-4o",
    "aiohttp": "aiohttp_openai/gpt-4o",
    "groq": "groq/llama-3.3-70b-versatile",
    "mistral": "mistral/mistral-large-latest",
    "pplx": "perplexity/sonar",
    "fw": "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
    "cere": "cerebras/llama3.1-8b",
    "grok": "xai/grok-3",
    "or": "openrouter/openai/gpt-4o",
    "tog": "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "dinfra": "deepinfra/meta-llama/Llama-3.3-70B-Instruct",
    "nim": "nvidia_nim/meta/llama3-70b-instruct",
    "samba": "sambanova/Meta-Llama-3.1-8B-Instruct",
    "fw-short": "fireworks_ai/llama-v3p1-8b-instruct",
    "dsk": "deepseek/deepseek-chat",
}

#: The OpenAI-format rows without a deployment of their own above: each gets the parameter
#: case (chat-row-<name>, model <name>/test-model), so every row's table, path and headers
#: are checked against LiteLLM's.
ROW_SWEEP = ["lm_studio", "litellm_proxy", "ai21_chat", "aiml", "amazon_nova", "codestral", "cometapi",
             "compactifai", "dashscope", "qwencloud", "qwen_ai_platform", "docker_model_runner", "edenai",
             "empower", "featherless_ai", "friendliai", "galadriel", "github", "hyperbolic", "inception",
             "lambda_ai", "lemonade", "llamafile", "maritalk", "meta_llama", "minimax", "modelscope",
             "moonshot", "morph", "nadir", "nebius", "novita", "nscale", "ovhcloud", "tencent", "v0",
             "vercel_ai_gateway", "volcengine", "wandb", "xinference", "zai", "abliteration", "aihubmix",
             "apertis", "assemblyai", "charity_engine", "chutes", "cognition", "cortecs", "crusoe",
             "darkbloom", "empiriolabs", "gmi", "helicone", "libertai", "llamagate", "meta", "nano-gpt",
             "neosantara", "parasail", "pinstripes", "poe", "prism", "publicai", "reka", "sail", "sarvam",
             "scaleway", "scx-ai", "synthetic", "tensormesh", "veniceai", "xiaomi_mimo"]

CASES: list[tuple[str, str, dict]] = [
    # Chat completions to an OpenAI-format provider (passed through).
    ("chat-openai", "/v1/chat/completions", chat("gpt", "text", False)),
    ("chat-openai-user", "/v1/chat/completions", chat("gpt", "text", False, user="u1", metadata={"tag": "x"}, foo_extra=1,
                                                       max_completion_tokens=20, extra_body={"eb": 1}, drop_params=False,
                                                       tags=["t1"], num_retries=1, timeout=30, temperature=None)),
    ("embeddings-openai-litellm-keys", "/v1/embeddings", {"model": "gpt", "input": ["a"], "metadata": {"tag": "x"},
                                                          "tags": ["t1"], "extra_body": {"eb": 1}}),
    ("chat-openai-stream", "/v1/chat/completions", chat("gpt", "text", True, stream_options={"include_usage": True})),
    # Chat to OpenAI-compatible providers: each provider's parameter table (LiteLLM's
    # get_supported_openai_params and map_openai_params).
    ("chat-groq-params", "/v1/chat/completions", chat("groq", "text", False, **PARAMS)),
    ("chat-mistral-params", "/v1/chat/completions", chat("mistral", "text", False, **PARAMS)),
    ("chat-pplx-params", "/v1/chat/completions", chat("pplx", "text", False, **PARAMS)),
    ("chat-fw-params", "/v1/chat/completions", chat("fw", "text", False, **PARAMS)),
    ("chat-cere-params", "/v1/chat/completions", chat("cere", "text", False, **PARAMS)),
    ("chat-grok-params", "/v1/chat/completions", chat("grok", "text", False, **PARAMS)),
    # Streams to providers whose config drops stream_options (and so must corelane).
    *[(f"chat-{m}-stream-options", "/v1/chat/completions", chat(m, "text", True, stream_options={"include_usage": True}))
      for m in ("mistral", "pplx", "cere", "dinfra", "nim")],
    ("chat-mistral-stream-plain", "/v1/chat/completions", chat("mistral", "text", True)),
    ("chat-tog-params", "/v1/chat/completions", chat("tog", "text", False, **PARAMS)),
    ("chat-dinfra-params", "/v1/chat/completions", chat("dinfra", "text", False, **PARAMS)),
    ("chat-nim-params", "/v1/chat/completions", chat("nim", "text", False, **PARAMS)),
    ("chat-samba-params", "/v1/chat/completions", chat("samba", "text", False, **PARAMS)),
    ("chat-mistral-drop", "/v1/chat/completions", chat("mistral", "text", False, **{**PARAMS, "tool_choice": "required"},
                                                        drop_params=True)),
    ("chat-pplx-drop", "/v1/chat/completions", chat("pplx", "text", False, **PARAMS, drop_params=True)),
    # xAI: every `strict` in the tools removed; OpenRouter: usage.include asked.
    ("chat-grok-strict", "/v1/chat/completions", chat("grok", "text", False, tools=[
        GEMINI_TOOL, {"type": "function", "function": {"name": "g", "strict": False, "parameters": {
            "type": "object", "properties": {"a": {"type": "object", "strict": 1}}, "anyOf": [{"strict": True}]}}}])),
    ("chat-openrouter", "/v1/chat/completions", chat("or", "text", False, user="u1", temperature=0.2)),
    ("chat-openrouter-usage", "/v1/chat/completions", chat("or", "text", False, extra_body={"usage": {"include": False}})),
    # Mistral's messages: content lists joined, names on tool messages only, tool calls
    # reshaped, empty turns and nulls left out, LiteLLM's output-only fields dropped.
    ("chat-mistral-messages", "/v1/chat/completions", {"model": "mistral", "messages": [
        {"role": "system", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}], "name": "sys"},
        {"role": "user", "content": "What is the weather?", "name": "alice"},
        {"role": "assistant", "content": None, "reasoning_content": "hmm", "thinking_blocks": [],
         "tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"},
                         "provider_specific_fields": {"x": 1}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "22C", "name": "get_weather"},
        {"role": "tool", "tool_call_id": "c2", "content": "ok", "name": "  "},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "Sunny", "function_call": None},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]}]}),
    ("chat-mistral-image", "/v1/chat/completions", {"model": "mistral", "messages": [
        {"role": "user", "name": "alice", "content": [{"type": "text", "text": "Look"},
                                                      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
        {"role": "assistant", "content": "", "reasoning_content": "r"},
        {"role": "user", "content": "and?"}]}),
    ("chat-dinfra-drop", "/v1/chat/completions", chat("dinfra", "text", False, **PARAMS, drop_params=True)),
    ("chat-cere-drop", "/v1/chat/completions", chat("cere", "text", False, **PARAMS, drop_params=True)),
    ("chat-vllm-thinking-budget", "/v1/chat/completions", chat("vllm", "text", False,
                                                                thinking={"type": "enabled", "budget_tokens": 3000})),
    ("chat-fw-short", "/v1/chat/completions", chat("fw-short", "text", False, user="u1")),
    ("chat-dsk-reasoning", "/v1/chat/completions", chat("dsk", "text", False, reasoning_effort="low", user="u1",
                                                         max_completion_tokens=9)),
    ("chat-dsk-thinking", "/v1/chat/completions", chat("dsk", "text", False, reasoning_effort="low",
                                                        thinking={"type": "disabled", "budget_tokens": 5})),
    # Chat completions to Anthropic (translated both ways).
    ("chat-anthropic", "/v1/chat/completions", chat("claude", "text", False, max_tokens=64)),
    ("chat-anthropic-tool", "/v1/chat/completions", chat("claude", "tool", False, tools=[
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])),
    ("chat-anthropic-thinking", "/v1/chat/completions", chat("claude", "thinking", False)),
    ("chat-anthropic-stream", "/v1/chat/completions", chat("claude", "text", True)),
    ("chat-anthropic-stream-usage", "/v1/chat/completions", chat("claude", "tool", True, stream_options={"include_usage": True})),
    ("chat-anthropic-stream-thinking", "/v1/chat/completions", chat("claude", "thinking", True, stream_options={"include_usage": True})),
    ("chat-anthropic-stream-error", "/v1/chat/completions", chat("claude", "error", True)),
    # /v1/messages to Anthropic (passed through).
    ("messages-anthropic", "/v1/messages", messages("claude", "tool", False)),
    ("messages-anthropic-stream", "/v1/messages", messages("claude", "tool", True)),
    # /v1/messages to OpenAI-format providers (translated both ways).
    ("messages-vllm", "/v1/messages", messages("vllm", "text", False, system="Be brief.", temperature=0.5,
                                               stop_sequences=["END"], tools=[WEATHER_TOOL], tool_choice={"type": "auto"})),
    ("messages-vllm-tool", "/v1/messages", messages("vllm", "tool", False)),
    ("messages-vllm-length", "/v1/messages", messages("vllm", "length", False)),
    ("messages-vllm-thinking", "/v1/messages", messages("vllm", "thinking", False)),
    ("messages-vllm-stream", "/v1/messages", messages("vllm", "text", True)),
    ("messages-vllm-stream-tool", "/v1/messages", messages("vllm", "tool", True)),
    ("messages-vllm-stream-thinking", "/v1/messages", messages("vllm", "thinking", True)),
    ("messages-vllm-claude-code", "/v1/messages", CLAUDE_CODE_SHAPE),
    ("messages-openai", "/v1/messages", messages("gpt", "text", False)),
    # Provider errors, mapped to LiteLLM's classes, for each route and format.
    *[(f"chat-anthropic-{e}", "/v1/chat/completions", chat("claude", e, False))
      for e in ("err-too-long", "err-content", "err-400", "err-401", "err-403", "err-404", "err-413",
                "err-429", "err-500", "err-502", "err-503", "err-504", "err-529")],
    *[(f"messages-anthropic-{e}", "/v1/messages", messages("claude", e, False))
      for e in ("err-too-long", "err-429", "err-529")],
    *[(f"chat-openai-{e}", "/v1/chat/completions", chat("gpt", e, False))
      for e in ("err-too-long", "err-400", "err-401", "err-429", "err-500", "err-503", "err-ctx", "err-rate-text",
                "err-safety", "err-nomodel", "err-timeout-text")],
    *[(f"chat-dsk-{e}", "/v1/chat/completions", chat("dsk", e, False)) for e in ("err-ctx", "err-safety")],
    # Token counting: Anthropic's API, or a local estimate.
    ("count-tokens-anthropic", "/v1/messages/count_tokens",
     {"model": "claude", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello"}], "tools": [WEATHER_TOOL]}),
    ("count-tokens-vllm", "/v1/messages/count_tokens",
     {"model": "vllm", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello, how are you today?"}], "tools": [WEATHER_TOOL]}),
    ("count-tokens-no-messages", "/v1/messages/count_tokens", {"model": "claude", "messages": []}),
    # Token counting by Bedrock's CountTokens API and Vertex AI's count-tokens for Claude.
    ("count-tokens-bedrock", "/v1/messages/count_tokens",
     {"model": "br", "system": "Be brief", "messages": [{"role": "user", "content": "hello world"}]}),
    ("count-tokens-bedrock-session", "/v1/messages/count_tokens",
     {"model": "br-session", "messages": [{"role": "user", "content": "hello world"}],
      "tools": [WEATHER_TOOL]}),
    ("count-tokens-bedrock-nova", "/v1/messages/count_tokens",
     {"model": "br-nova", "messages": [{"role": "user", "content": "hello world"}]}),
    ("count-tokens-vertex-claude", "/v1/messages/count_tokens",
     {"model": "vx-claude", "messages": [{"role": "user", "content": "hello world"}]}),
    ("count-tokens-gemini", "/v1/messages/count_tokens",
     {"model": "gem", "messages": [{"role": "user", "content": "hello world"}]}),
    ("count-tokens-gemini-tools", "/v1/messages/count_tokens",
     {"model": "gem", "system": [{"type": "text", "text": "Be brief."}], "tools": [WEATHER_TOOL],
      "messages": [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": "Hi"},
                   {"role": "user", "content": [{"type": "text", "text": "weather?"}]}]}),
    ("count-tokens-gemini-system-image", "/v1/messages/count_tokens",
     {"model": "gem", "system": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}],
      "messages": [{"role": "user", "content": "hello world"}]}),
    ("count-tokens-gemini-err-429", "/v1/messages/count_tokens",
     {"model": "gem", "messages": [{"role": "user", "content": "[err-429] hello world"}]}),
    ("count-tokens-vertex-gemini", "/v1/messages/count_tokens",
     {"model": "vx", "system": "Be brief.", "tools": [WEATHER_TOOL], "messages": [{"role": "user", "content": "hello world"}]}),
    # Chat completions and embeddings to Gemini (translated both ways).
    ("chat-gemini", "/v1/chat/completions", chat("gem", "text", False, temperature=0.5, top_p=0.9, max_tokens=64, stop=["END"],
                                                 n=1, seed=7, presence_penalty=0.1, frequency_penalty=0.2)),
    ("chat-gemini-history", "/v1/chat/completions", {"model": "gem", "messages": GEMINI_HISTORY}),
    ("chat-gemini-tools", "/v1/chat/completions", chat("gem", "tool", False, tools=[GEMINI_TOOL, {"type": "function", "function": {"name": "now"}}],
                                                       tool_choice="auto")),
    ("chat-gemini-tool-required", "/v1/chat/completions", chat("gem", "tool", False, tools=[GEMINI_TOOL], tool_choice="required")),
    ("chat-gemini-tool-named", "/v1/chat/completions", chat("gem", "tool", False, tools=[GEMINI_TOOL],
                                                            tool_choice={"type": "function", "function": {"name": "get_weather"}})),
    ("chat-gemini-thinking", "/v1/chat/completions", chat("gem", "thinking", False, reasoning_effort="low")),
    ("chat-gemini-length", "/v1/chat/completions", chat("gem", "length", False, max_completion_tokens=5)),
    ("chat-gemini-safety", "/v1/chat/completions", chat("gem", "safety", False)),
    ("chat-gemini-blocked", "/v1/chat/completions", chat("gem", "blocked", False)),
    ("chat-gemini-unsupported", "/v1/chat/completions", chat("gem", "text", False, logit_bias={"50256": -100}, top_logprobs=2)),
    ("chat-gemini-json", "/v1/chat/completions", chat("gem", "text", False, response_format={"type": "json_object"})),
    ("chat-gemini-schema", "/v1/chat/completions", chat("gem", "text", False, response_format={"type": "json_schema", "json_schema": {
        "name": "w", "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}}})),
    ("chat-gemini-stream", "/v1/chat/completions", chat("gem", "text", True)),
    ("chat-gemini-stream-usage", "/v1/chat/completions", chat("gem", "text", True, stream_options={"include_usage": True})),
    ("chat-gemini-stream-tool", "/v1/chat/completions", chat("gem", "tool", True, stream_options={"include_usage": True})),
    ("chat-gemini-stream-thinking", "/v1/chat/completions", chat("gem", "thinking", True, stream_options={"include_usage": True})),
    ("chat-gemini-stream-length", "/v1/chat/completions", chat("gem", "length", True)),
    *[(f"chat-gemini-{e}", "/v1/chat/completions", chat("gem", e, False))
      for e in ("err-too-long", "err-400", "err-401", "err-403", "err-404", "err-429", "err-500", "err-503", "err-504")],
    # Bedrock Converse (SigV4 signed; AWS event-stream framing for streams).
    ("chat-bedrock", "/v1/chat/completions", chat("br", "text", False, temperature=0.5, top_p=0.9, max_tokens=64, stop=["END"],
                                                   messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "[text] Hi"}])),
    ("chat-bedrock-history", "/v1/chat/completions", {"model": "br", "messages": GEMINI_HISTORY, "tools": [GEMINI_TOOL]}),
    ("chat-bedrock-tools", "/v1/chat/completions", chat("br", "tool", False, tools=[GEMINI_TOOL], tool_choice="required")),
    ("chat-bedrock-tool-named", "/v1/chat/completions", chat("br", "tool", False, tools=[GEMINI_TOOL],
                                                             tool_choice={"type": "function", "function": {"name": "get_weather"}})),
    ("chat-bedrock-thinking", "/v1/chat/completions", chat("br-session", "thinking", False, reasoning_effort="low")),
    ("chat-bedrock-thinking-unsupported", "/v1/chat/completions", chat("br", "thinking", False, reasoning_effort="low")),
    ("chat-bedrock-length", "/v1/chat/completions", chat("br", "length", False)),
    ("chat-bedrock-session", "/v1/chat/completions", chat("br-session", "text", False)),
    ("chat-bedrock-stream", "/v1/chat/completions", chat("br", "text", True)),
    ("chat-bedrock-stream-usage", "/v1/chat/completions", chat("br", "text", True, stream_options={"include_usage": True})),
    ("chat-bedrock-stream-tool", "/v1/chat/completions", chat("br", "tool", True, tools=[GEMINI_TOOL])),
    ("chat-bedrock-stream-thinking", "/v1/chat/completions", chat("br", "thinking", True)),
    ("chat-bedrock-stream-error", "/v1/chat/completions", chat("br", "error", True)),
    ("chat-bedrock-stream-throttle", "/v1/chat/completions", chat("br", "throttle", True)),
    ("chat-bedrock-stream-internal", "/v1/chat/completions", chat("br", "internal", True)),
    ("chat-bedrock-unsupported", "/v1/chat/completions", chat("br", "text", False, seed=7)),
    # drop_params in the request: the parameters the provider has no field for are dropped.
    ("chat-bedrock-drop-params", "/v1/chat/completions", chat("br", "text", False, seed=7, drop_params=True)),
    ("chat-gemini-drop-params", "/v1/chat/completions", chat("gem", "text", False, logit_bias={"1": 2}, drop_params=True)),
    ("embed-titan1-drop-params", "/v1/embeddings", {"model": "br-titan1", "input": "hello", "dimensions": 256, "drop_params": True}),
    *[(f"chat-bedrock-{e}", "/v1/chat/completions", chat("br", e, False))
      for e in ("err-too-long", "err-400", "err-401", "err-403", "err-404", "err-429", "err-500", "err-503")],
    # /v1/messages to Claude on Bedrock: Anthropic's format through the Invoke API.
    ("messages-bedrock", "/v1/messages", messages("br", "text", False)),
    ("messages-bedrock-tool", "/v1/messages", messages("br", "tool", False, tools=[WEATHER_TOOL], tool_choice={"type": "auto"})),
    ("messages-bedrock-thinking", "/v1/messages", messages("br-session", "thinking", False,
                                                          thinking={"type": "enabled", "budget_tokens": 1024})),
    ("messages-bedrock-stream", "/v1/messages", messages("br", "text", True)),
    ("messages-bedrock-stream-tool", "/v1/messages", messages("br", "tool", True, tools=[WEATHER_TOOL])),
    ("messages-bedrock-stream-thinking", "/v1/messages", messages("br-session", "thinking", True)),
    ("messages-bedrock-stream-error", "/v1/messages", messages("br", "error", True)),
    ("messages-bedrock-claude-code", "/v1/messages", {**CLAUDE_CODE_SHAPE, "model": "br-session", "stream": True,
        "__headers": {"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14"}}),
    ("messages-bedrock-claude-code-3-5", "/v1/messages", {**CLAUDE_CODE_SHAPE, "model": "br", "stream": True}),
    ("messages-bedrock-claude-code-whole", "/v1/messages", {**CLAUDE_CODE_SHAPE, "model": "br-session",
        "__headers": {"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27"}}),
    ("messages-bedrock-system", "/v1/messages", messages("br", "text", False, system="x-anthropic-billing-header: cc_version=1",
                                                         metadata={"user_id": "u1"}, stop_sequences=["END"], top_k=5,
                                                         service_tier="auto", container="c1")),
    ("messages-bedrock-err-429", "/v1/messages", messages("br", "err-429", False)),
    ("messages-bedrock-err-400", "/v1/messages", messages("br", "err-400", False)),
    # /v1/messages to a Bedrock model other than Claude: through a chat completion (Converse).
    ("messages-bedrock-nova", "/v1/messages", messages("br-nova", "text", False)),
    ("messages-bedrock-nova-tool", "/v1/messages", messages("br-nova", "tool", False, tools=[WEATHER_TOOL])),
    ("messages-bedrock-nova-stream", "/v1/messages", messages("br-nova", "tool", True, tools=[WEATHER_TOOL])),
    # Bedrock embeddings through the Invoke API: Titan one input a request, Cohere all at once.
    ("embed-titan1", "/v1/embeddings", {"model": "br-titan1", "input": ["hello world", "good day to you"]}),
    ("embed-titan1-string", "/v1/embeddings", {"model": "br-titan1", "input": "hello"}),
    ("embed-titan1-dimensions", "/v1/embeddings", {"model": "br-titan1", "input": "hello", "dimensions": 256}),
    ("embed-titan2", "/v1/embeddings", {"model": "br-titan2", "input": ["hello", "there you"], "dimensions": 256,
                                         "encoding_format": "float", "normalize": False, "user": "u1"}),
    ("embed-titan2-base64", "/v1/embeddings", {"model": "br-titan2", "input": "hello", "encoding_format": "base64"}),
    ("embed-titan2-extra", "/v1/embeddings", {"model": "br-titan2", "input": "hello", "foo": 1, "metadata": {"a": 1}}),
    ("embed-titan-image", "/v1/embeddings", {"model": "br-titan-image", "input": ["data:image/png;base64,iVBORw0KGgo=", "a cat"],
                                             "dimensions": 256}),
    ("embed-bedrock-cohere", "/v1/embeddings", {"model": "br-cohere-embed", "input": ["hello", "world"]}),
    ("embed-bedrock-cohere-params", "/v1/embeddings", {"model": "br-cohere-embed", "input": "hello", "input_type": "search_query",
                                                       "encoding_format": "base64", "dimensions": 512, "foo": 1, "truncate": "END"}),
    ("embed-titan1-err-429", "/v1/embeddings", {"model": "br-titan1", "input": "[err-429] x"}),
    # Claude on Vertex AI: Anthropic's format through rawPredict / streamRawPredict.
    ("chat-vertex-claude", "/v1/chat/completions", chat("vx-claude", "text", False, temperature=0.5, max_tokens=64)),
    ("chat-vertex-claude-tools", "/v1/chat/completions", chat("vx-claude", "tool", False, tools=[GEMINI_TOOL])),
    ("chat-vertex-claude-stream", "/v1/chat/completions", chat("vx-claude", "tool", True)),
    ("chat-vertex-claude-err-429", "/v1/chat/completions", chat("vx-claude", "err-429", False)),
    ("messages-vertex-claude", "/v1/messages", messages("vx-claude", "text", False, system="Be brief.")),
    ("messages-vertex-claude-stream", "/v1/messages", messages("vx-claude", "tool", True, tools=[WEATHER_TOOL])),
    ("messages-vertex-claude-code", "/v1/messages", {**CLAUDE_CODE_SHAPE, "model": "vx-claude",
        "__headers": {"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14"}}),
    ("messages-vertex-claude-err-400", "/v1/messages", messages("vx-claude", "err-400", False)),
    # /v1/ocr: Mistral's OCR API.
    ("ocr-url", "/v1/ocr", {"model": "ocr", "document": {"type": "document_url", "document_url": "https://example.com/a.pdf"}}),
    ("ocr-image-base64", "/v1/ocr", {"model": "ocr", "document": {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                                     "include_image_base64": True, "pages": [0, 1], "image_limit": 2, "foo": 1}),
    ("ocr-bare-route", "/ocr", {"model": "ocr", "document": {"type": "document_url", "document_url": "https://example.com/a.pdf"}}),
    ("ocr-no-document", "/v1/ocr", {"model": "ocr"}),
    ("ocr-chat-model", "/v1/ocr", {"model": "gpt", "document": {"type": "document_url", "document_url": "https://example.com/a.pdf"}}),
    # /v1/responses: OpenAI's Responses API, passed to providers that have it. A route with
    # a method names a stored response; {last} is the id the gateway issued last.
    ("responses-openai", "/v1/responses", {"model": "gpt", "input": "[text] Hi", "max_output_tokens": 5, "zz_client_unknown": 1,
                                            "conversation": "c1", "metadata": {"k": "v"}, "extra_body": {"foo": "bar"},
                                            "stream_options": {"include_obfuscation": False, "include_usage": True}}),
    ("responses-openai-get", "GET /v1/responses/{last}", {}),
    ("responses-openai-input-items", "GET /v1/responses/{last}/input_items?limit=2", {}),
    ("responses-openai-cancel", "POST /v1/responses/{last}/cancel", {}),
    ("responses-openai-delete", "DELETE /v1/responses/{last}", {}),
    ("responses-openai-previous", "/v1/responses", {"model": "gpt", "input": "[text] Again", "previous_response_id": "{last}"}),
    ("responses-openai-tool", "/v1/responses", {"model": "gpt", "input": [{"role": "user", "content": "[tool] Weather?"}],
                                                 "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]}),
    ("responses-openai-stream", "/v1/responses", {"model": "gpt", "input": "[text] Hi", "stream": True}),
    ("responses-openai-stream-fail", "/v1/responses", {"model": "gpt", "input": "[fail] Hi", "stream": True}),
    ("responses-openai-stream-cut", "/v1/responses", {"model": "gpt", "input": "[cut] Hi", "stream": True}),
    ("responses-vllm", "/v1/responses", {"model": "vllm", "input": "[text] Hi", "max_output_tokens": 3}),
    ("responses-bare-route", "/responses", {"model": "gpt", "input": "[text] Hi"}),
    ("responses-no-input", "/v1/responses", {"model": "gpt"}),
    ("responses-unknown-model", "/v1/responses", {"model": "nope", "input": "x"}),
    ("responses-not-issued", "GET /v1/responses/resp_plain123", {}),
    # /v1/responses to providers with chat completions only: bridged as LiteLLM bridges them.
    ("responses-bridge-dsk", "/v1/responses", {"model": "dsk", "input": "[text] Hi", "instructions": "Be brief",
                                               "max_output_tokens": 50, "temperature": 0.2, "top_p": 0.9,
                                               "metadata": {"k": "v"}, "user": "u1", "store": True, "zz": 1}),
    ("responses-bridge-dsk-stream", "/v1/responses", {"model": "dsk", "input": "[text] Hi", "stream": True}),
    ("responses-bridge-dsk-tool", "/v1/responses", {"model": "dsk", "input": "[tool] Weather?", "tool_choice": "auto",
                                                    "tools": [{"type": "function", "name": "get_weather",
                                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}),
    ("responses-bridge-dsk-tool-stream", "/v1/responses", {"model": "dsk", "input": "[tool] Weather?", "stream": True,
                                                           "tools": [{"type": "function", "name": "get_weather", "description": "Weather",
                                                                      "parameters": {"type": "object", "properties": {}}}]}),
    ("responses-bridge-dsk-thinking", "/v1/responses", {"model": "dsk", "input": "[thinking] Hi", "reasoning": {"effort": "low"}}),
    ("responses-bridge-dsk-thinking-stream", "/v1/responses", {"model": "dsk", "input": "[thinking] Hi", "stream": True}),
    ("responses-bridge-dsk-length", "/v1/responses", {"model": "dsk", "input": "[length] Hi", "max_output_tokens": 3}),
    ("responses-bridge-dsk-history", "/v1/responses", {"model": "dsk", "input": [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "input_text", "text": "[text] What is it?"},
                                     {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}]},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "It is sunny."}]},
        {"role": "user", "content": "Thanks"}],
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": True}}}),
    ("responses-bridge-dsk-untranslatable", "/v1/responses", {"model": "dsk", "input": "x", "max_tool_calls": 2}),
    ("responses-bridge-claude", "/v1/responses", {"model": "claude", "input": "[text] Hi", "instructions": "Be brief",
                                                  "max_output_tokens": 50}),
    ("responses-bridge-claude-stream", "/v1/responses", {"model": "claude", "input": "[text] Hi", "max_output_tokens": 50,
                                                         "stream": True}),
    ("responses-bridge-gem", "/v1/responses", {"model": "gem", "input": "[text] Hi"}),
    ("responses-bridge-gem-stream", "/v1/responses", {"model": "gem", "input": "[text] Hi", "stream": True}),
    ("responses-err-400", "/v1/responses", {"model": "gpt", "input": "[err-400] Hi"}),
    ("responses-err-429", "/v1/responses", {"model": "gpt", "input": "[err-429] Hi"}),
    ("ocr-err-429", "/v1/ocr", {"model": "ocr", "document": {"type": "document_url", "document_url": "https://example.com/[err-429].pdf"}}),
    # /utils/token_counter: a local count (tiktoken), the deployment's model as model_used.
    ("tc-prompt", "/utils/token_counter", {"model": "gpt", "prompt": "hello world"}),
    ("tc-messages", "/utils/token_counter", {"model": "gpt", "messages": [{"role": "user", "content": "hello world"}]}),
    ("tc-name", "/utils/token_counter", {"model": "gpt", "messages": [{"role": "user", "content": "hello world", "name": "bob"}]}),
    ("tc-system-tools", "/utils/token_counter", {"model": "vllm", "system": "be nice", "tools": [GEMINI_TOOL],
                                                 "messages": [{"role": "user", "content": "weather?"}]}),
    ("tc-prompt-tools", "/utils/token_counter", {"model": "gpt", "prompt": "weather?", "tools": [WEATHER_TOOL]}),
    ("tc-history", "/utils/token_counter", {"model": "gpt", "messages": GEMINI_HISTORY[:2] + GEMINI_HISTORY[3:]}),
    ("tc-anthropic-blocks", "/utils/token_counter", {"model": "vllm", "messages": CLAUDE_CODE_SHAPE["messages"][:3] + [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "a.txt"}]}]}]}),
    ("tc-long", "/utils/token_counter", {"model": "gpt", "prompt": ("Lorem ipsum dolor sit amet, é " * 120)}),
    ("tc-not-a-group", "/utils/token_counter", {"model": "not-a-group", "prompt": "hello world"}),
    ("tc-images", "/utils/token_counter", {"model": "gpt", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": "https://example.com/a.png"}]}]}),
    ("tc-document", "/utils/token_counter", {"model": "vllm", "messages": [{"role": "user", "content": [
        {"type": "document", "title": "Notes", "source": {"type": "text", "media_type": "text/plain", "data": "hello there"}}]}]}),
    ("count-tokens-vllm-image", "/v1/messages/count_tokens", {"model": "vllm", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "see"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]}]}),
    ("tc-claude", "/utils/token_counter", {"model": "claude", "prompt": "hello world"}),
    ("tc-no-model", "/utils/token_counter", {"prompt": "hello"}),
    ("tc-nothing", "/utils/token_counter", {"model": "gpt"}),
    ("tc-prompt-and-messages", "/utils/token_counter", {"model": "gpt", "prompt": "x", "messages": [{"role": "user", "content": "y"}]}),
    # Vertex AI (Gemini models): the same translation, a Vertex path and a minted token.
    ("chat-vertex", "/v1/chat/completions", chat("vx", "text", False, temperature=0.5, max_tokens=64)),
    ("chat-vertex-tools", "/v1/chat/completions", chat("vx", "tool", False, tools=[GEMINI_TOOL])),
    ("chat-vertex-stream", "/v1/chat/completions", chat("vx", "text", True)),
    ("messages-vertex", "/v1/messages", messages("vx", "text", False)),
    *[(f"chat-vertex-{e}", "/v1/chat/completions", chat("vx", e, False))
      for e in ("err-400", "err-401", "err-404", "err-429", "err-500", "err-503")],
    # /v1/messages to Gemini (Messages → chat → generateContent, and back).
    ("messages-gemini", "/v1/messages", messages("gem", "text", False, system="Be brief.", temperature=0.5,
                                                 stop_sequences=["END"], tools=[WEATHER_TOOL], tool_choice={"type": "auto"})),
    ("messages-gemini-tool", "/v1/messages", messages("gem", "tool", False, tools=[WEATHER_TOOL])),
    ("messages-gemini-thinking", "/v1/messages", messages("gem", "thinking", False)),
    ("messages-gemini-length", "/v1/messages", messages("gem", "length", False)),
    ("messages-gemini-stream", "/v1/messages", messages("gem", "text", True)),
    ("messages-gemini-stream-tool", "/v1/messages", messages("gem", "tool", True, tools=[WEATHER_TOOL])),
    ("messages-gemini-stream-thinking", "/v1/messages", messages("gem", "thinking", True)),
    ("messages-gemini-err-429", "/v1/messages", messages("gem", "err-429", False)),
    # Vertex AI's text embeddings (`:predict`).
    ("embeddings-vertex", "/v1/embeddings", {"model": "vx-embed", "input": "hello there"}),
    ("embeddings-vertex-list", "/v1/embeddings", {"model": "vx-embed", "input": ["a", "b c"], "dimensions": 3}),
    ("embeddings-vertex-task", "/v1/embeddings", {"model": "vx-embed", "input": ["doc"], "task_type": "RETRIEVAL_DOCUMENT",
                                                  "title": "T"}),
    ("embeddings-vertex-input-type", "/v1/embeddings", {"model": "vx-embed", "input": "q", "input_type": "RETRIEVAL_QUERY"}),
    ("embeddings-vertex-auto-truncate", "/v1/embeddings", {"model": "vx-embed", "input": "q", "auto_truncate": False}),
    ("embeddings-vertex-float", "/v1/embeddings", {"model": "vx-embed", "input": "q", "encoding_format": "float"}),
    ("embeddings-vertex-base64", "/v1/embeddings", {"model": "vx-embed", "input": "q", "encoding_format": "base64"}),
    ("embeddings-vertex-user", "/v1/embeddings", {"model": "vx-embed", "input": "q", "user": "u1"}),
    ("embeddings-vertex-extra", "/v1/embeddings", {"model": "vx-embed", "input": "q", "foo": {"a": 1}, "dimensions": None}),
    ("embeddings-vertex-empty", "/v1/embeddings", {"model": "vx-embed", "input": []}),
    ("embeddings-vertex-nested", "/v1/embeddings", {"model": "vx-embed", "input": [["a", "b"]]}),
    ("embeddings-vertex-tokens", "/v1/embeddings", {"model": "vx-embed", "input": [1, 2, 3]}),
    ("embeddings-vertex-labels", "/v1/embeddings", {"model": "vx-embed", "input": "q", "metadata": {"team": "a", "n": 1}}),
    *[(f"embeddings-vertex-{e}", "/v1/embeddings", {"model": "vx-embed", "input": f"[{e}] q"})
      for e in ("err-400", "err-401", "err-429", "err-500")],
    ("embeddings-vertex-gemini", "/v1/embeddings", {"model": "vx-embed-gem", "input": ["x", "y"], "dimensions": 8}),
    ("embeddings-vertex-multimodal", "/v1/embeddings", {"model": "vx-embed-mm", "input": "a cat"}),
    ("embeddings-vertex-gemini-2", "/v1/embeddings", {"model": "vx-embed-gem2", "input": "a cat"}),
    ("embeddings-gemini", "/v1/embeddings", {"model": "gem-embed", "input": "[text] hello"}),
    ("embeddings-gemini-list", "/v1/embeddings", {"model": "gem-embed", "input": ["[text] a", "b"], "dimensions": 3}),
    # Ollama's native API: ollama/ to /api/generate (the chat flattened into a prompt),
    # ollama_chat/ to /api/chat, embeddings to /api/embed; NDJSON streams.
    ("chat-ollama-chat", "/v1/chat/completions", chat("oll-chat", "text", False, temperature=0.5, top_p=0.9, max_tokens=64,
                                                      stop=["END"], seed=7, frequency_penalty=0.2)),
    ("chat-ollama-chat-history", "/v1/chat/completions", {"model": "oll-chat", "messages": GEMINI_HISTORY, "tools": [GEMINI_TOOL]}),
    ("chat-ollama-chat-tools", "/v1/chat/completions", chat("oll-chat", "tool", False, tools=[GEMINI_TOOL], tool_choice="auto")),
    ("chat-ollama-chat-tool-ids", "/v1/chat/completions", chat("oll-chat", "tool-ids", False, tools=[GEMINI_TOOL])),
    ("chat-ollama-chat-stream-tool-ids", "/v1/chat/completions", chat("oll-chat", "tool-ids", True, tools=[GEMINI_TOOL])),
    ("chat-ollama-chat-thinking", "/v1/chat/completions", chat("oll-chat", "thinking", False, reasoning_effort="low")),
    ("chat-ollama-chat-think-tags", "/v1/chat/completions", chat("oll-chat", "think-tags", False)),
    ("chat-ollama-chat-length", "/v1/chat/completions", chat("oll-chat", "length", False, max_completion_tokens=3)),
    ("chat-ollama-chat-json", "/v1/chat/completions", chat("oll-chat", "json", False, response_format={"type": "json_object"})),
    ("chat-ollama-chat-schema", "/v1/chat/completions", chat("oll-chat", "json", False, response_format={"type": "json_schema", "json_schema": {
        "name": "w", "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}})),
    ("chat-ollama-chat-unsupported", "/v1/chat/completions", chat("oll-chat", "text", False, logit_bias={"50256": -100})),
    ("chat-ollama-chat-stream", "/v1/chat/completions", chat("oll-chat", "text", True)),
    ("chat-ollama-chat-stream-usage", "/v1/chat/completions", chat("oll-chat", "text", True, stream_options={"include_usage": True})),
    ("chat-ollama-chat-stream-tool", "/v1/chat/completions", chat("oll-chat", "tool", True, tools=[GEMINI_TOOL])),
    ("chat-ollama-chat-stream-thinking", "/v1/chat/completions", chat("oll-chat", "thinking", True)),
    ("chat-ollama-chat-stream-length", "/v1/chat/completions", chat("oll-chat", "length", True)),
    ("chat-ollama-chat-stream-error", "/v1/chat/completions", chat("oll-chat", "error", True)),
    *[(f"chat-ollama-chat-{e}", "/v1/chat/completions", chat("oll-chat", e, False)) for e in ("err-400", "err-404", "err-500")],
    ("chat-ollama", "/v1/chat/completions", chat("oll", "text", False, temperature=0.5, top_p=0.9, max_tokens=64,
                                                 stop=["END"], seed=7, frequency_penalty=0.2)),
    ("chat-ollama-history", "/v1/chat/completions", {"model": "oll", "messages": OLLAMA_HISTORY}),
    ("chat-ollama-thinking", "/v1/chat/completions", chat("oll", "thinking", False, reasoning_effort="high")),
    ("chat-ollama-think-tags", "/v1/chat/completions", chat("oll", "think-tags", False)),
    ("chat-ollama-json", "/v1/chat/completions", chat("oll", "json", False, response_format={"type": "json_object"})),
    ("chat-ollama-json-tool", "/v1/chat/completions", chat("oll", "tool", False, response_format={"type": "json_object"})),
    ("chat-ollama-tools", "/v1/chat/completions", chat("oll", "text", False, tools=[GEMINI_TOOL])),
    ("chat-ollama-tools-call", "/v1/chat/completions", chat("oll", "tool", False, tools=[GEMINI_TOOL], tool_choice="auto",
                                                             messages=[{"role": "system", "content": "Be brief."},
                                                                       {"role": "user", "content": "[tool] Weather?"}])),
    ("chat-ollama-tools-stream", "/v1/chat/completions", chat("oll", "tool", True, tools=[GEMINI_TOOL])),
    ("chat-ollama-stream", "/v1/chat/completions", chat("oll", "text", True)),
    ("chat-ollama-stream-usage", "/v1/chat/completions", chat("oll", "text", True, stream_options={"include_usage": True})),
    ("chat-ollama-stream-thinking", "/v1/chat/completions", chat("oll", "thinking", True)),
    ("chat-ollama-stream-error", "/v1/chat/completions", chat("oll", "error", True)),
    *[(f"chat-ollama-{e}", "/v1/chat/completions", chat("oll", e, False)) for e in ("err-400", "err-404", "err-500")],
    ("completions-ollama", "/v1/completions", {"model": "oll", "prompt": "[text] Say hi", "max_tokens": 5}),
    ("messages-ollama-chat", "/v1/messages", messages("oll-chat", "text", False, system="Be brief.")),
    ("messages-ollama-chat-stream", "/v1/messages", messages("oll-chat", "text", True)),
    ("embeddings-ollama", "/v1/embeddings", {"model": "oll-embed", "input": "[text] hello"}),
    ("embeddings-ollama-list", "/v1/embeddings", {"model": "oll-embed", "input": ["[text] a", "b"], "dimensions": 3}),
    ("embeddings-ollama-base64", "/v1/embeddings", {"model": "oll-embed", "input": "[text] a", "encoding_format": "base64"}),
    ("embeddings-ollama-user", "/v1/embeddings", {"model": "oll-embed", "input": "[text] a", "user": "u1", "encoding_format": "float"}),
    ("embeddings-ollama-truncate", "/v1/embeddings", {"model": "oll-embed", "input": "[text] a", "truncate": False, "keep_alive": "1m", "num_ctx": 512}),
    ("completions-ollama-stream", "/v1/completions", {"model": "oll", "prompt": "[text] Say hi", "stream": True}),
    ("completions-ollama-stream-thinking", "/v1/completions", {"model": "oll", "prompt": "[thinking] Say hi", "stream": True}),
    ("completions-ollama-list", "/v1/completions", {"model": "oll", "prompt": ["[text] one", "two"]}),
    ("completions-ollama-chat", "/v1/completions", {"model": "oll-chat", "prompt": "[text] Say hi", "max_tokens": 5}),
    ("completions-ollama-chat-stream", "/v1/completions", {"model": "oll-chat", "prompt": "[thinking] Say hi", "stream": True}),
    ("embeddings-ollama-chat", "/v1/embeddings", {"model": "oll-chat", "input": "[text] hello"}),
    ("count-tokens-ollama", "/v1/messages/count_tokens",
     {"model": "oll-chat", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello, how are you today?"}]}),
    ("messages-ollama", "/v1/messages", messages("oll", "text", False, system="Be brief.")),
    ("messages-ollama-stream", "/v1/messages", messages("oll", "thinking", True)),
    ("chat-ollama-chat-developer", "/v1/chat/completions", chat("oll-chat", "text", False, messages=[
        {"role": "developer", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "[text] Hi"}, {"type": "text", "text": "there"}]},
        {"role": "assistant", "content": "<think>Hmm</think>Hello", "name": "bot"}, {"role": "user", "content": "Bye"}])),
    ("chat-ollama-developer", "/v1/chat/completions", chat("oll", "text", False, messages=[
        {"role": "developer", "content": "Be brief."}, {"role": "user", "content": "[text] Hi"}])),
    ("chat-ollama-chat-params", "/v1/chat/completions", chat("oll-chat", "text", False, stop="END", max_tokens=10,
                                                             max_completion_tokens=20, reasoning_effort="none",
                                                             response_format={"type": "json_schema", "json_schema": {"name": "x"}})),
    ("chat-ollama-chat-reasoning-history", "/v1/chat/completions", {"model": "oll-chat", "messages": [
        {"role": "user", "content": "[text] Hi"},
        {"role": "assistant", "content": "Hello", "reasoning_content": "They greet."},
        {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "tool_call_id": "call_9", "name": "get_weather", "content": [{"type": "text", "text": "Cold"}]}]}),
    ("chat-ollama-chat-stream-think-tags", "/v1/chat/completions", chat("oll-chat", "think-tags", True)),
    ("chat-ollama-stream-think-tags", "/v1/chat/completions", chat("oll", "think-tags", True)),
    ("chat-ollama-chat-n", "/v1/chat/completions", chat("oll-chat", "text", False, n=2, presence_penalty=0.5)),
    ("chat-ollama-images", "/v1/chat/completions", {"model": "oll", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "[text] A"}, {"type": "image_url", "image_url": "data:image/jpeg;base64,/9j/4AAQ"}]},
        {"role": "tool", "tool_call_id": "c1", "content": "result"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}, {"type": "text", "text": "B"}]}]}),
    ("embeddings-ollama-empty", "/v1/embeddings", {"model": "oll-embed", "input": []}),
    *[(f"chat-ollama-chat-{e}", "/v1/chat/completions", chat("oll-chat", e, False))
      for e in ("err-401", "err-403", "err-413", "err-429", "err-502", "err-503", "err-504", "err-529")],
    ("messages-ollama-chat-stream-error", "/v1/messages", messages("oll-chat", "error", True)),
    ("chat-ollama-chat-image-url", "/v1/chat/completions", {"model": "oll-chat", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "[text] What?"}, {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/x.png"}}]}]}),
    ("chat-ollama-chat-extra", "/v1/chat/completions", chat("oll-chat", "text", False, top_k=5, num_ctx=4096, keep_alive="5m", user="u1", n=1)),
    ("chat-ollama-options", "/v1/chat/completions", chat("oll", "text", False, top_k=5, num_ctx=4096, keep_alive="5m")),
    ("chat-ollama-unsupported-param", "/v1/chat/completions", chat("oll", "text", False, logit_bias={"1": 2})),
    # Cohere (v2): chat translated both ways, embeddings, rerank.
    ("chat-cohere", "/v1/chat/completions", chat("cmdr", "text", False)),
    ("chat-cohere-params", "/v1/chat/completions", chat("cmdr", "text", False, temperature=0.5, top_p=0.9, n=1, stop="END",
                                                      max_tokens=64, max_completion_tokens=32, seed=7, presence_penalty=0.1,
                                                      frequency_penalty=0.2, tool_choice="auto", user="u1", k=5, safety_mode="NONE")),
    ("chat-cohere-history", "/v1/chat/completions", {"model": "cmdr", "messages": [
        {"role": "developer", "content": "Be brief."}, *GEMINI_HISTORY[1:4],
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny", "cache_control": {"type": "ephemeral"}},
        {"role": "user", "content": [{"type": "text", "text": "thanks", "cache_control": {"type": "ephemeral"}},
                                     {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="}]}]}),
    ("chat-cohere-tool", "/v1/chat/completions", chat("cmdr", "tool", False, tools=[GEMINI_TOOL, {"type": "function", "function": {"name": "now"}}])),
    ("chat-cohere-cite", "/v1/chat/completions", chat("cmdr", "cite", False)),
    ("chat-cohere-length", "/v1/chat/completions", chat("cmdr", "length", False, max_tokens=3)),
    ("chat-cohere-chat", "/v1/chat/completions", chat("cmda", "text", False)),
    ("chat-cohere-unsupported", "/v1/chat/completions", chat("cmdr", "text", False, response_format={"type": "json_object"})),
    ("chat-cohere-unsupported-many", "/v1/chat/completions", chat("cmda", "text", False, logprobs=True, parallel_tool_calls=False)),
    ("chat-cohere-stream", "/v1/chat/completions", chat("cmdr", "text", True, stream_options={"include_usage": True})),
    ("chat-cohere-stream-tool", "/v1/chat/completions", chat("cmdr", "tool", True, tools=[GEMINI_TOOL])),
    *[(f"chat-cohere-{e}", "/v1/chat/completions", chat("cmdr", e, False))
      for e in ("err-co-token", "err-co-tokens", "err-400", "err-401", "err-403", "err-404", "err-422", "err-429", "err-500", "err-503")],
    *[(f"chat-cohere-chat-{e}", "/v1/chat/completions", chat("cmda", e, False)) for e in ("err-401", "err-429", "err-404")],
    ("embed-cohere", "/v1/embeddings", {"model": "coembed", "input": ["hello", "world"]}),
    ("embed-cohere-string", "/v1/embeddings", {"model": "coembed", "input": "hello"}),
    ("embed-cohere-params", "/v1/embeddings", {"model": "coembed", "input": ["hello"], "input_type": "search_query",
                                               "encoding_format": "float", "dimensions": 256, "truncate": "END"}),
    ("embed-cohere-types", "/v1/embeddings", {"model": "coembed", "input": ["a", "b"], "embedding_types": ["float", "int8"]}),
    ("embed-cohere-nometa", "/v1/embeddings", {"model": "coembed", "input": ["[nometa] hello", "world"]}),
    ("embed-cohere-user", "/v1/embeddings", {"model": "coembed", "input": ["hello"], "user": "u1"}),
    ("embed-cohere-err-429", "/v1/embeddings", {"model": "coembed", "input": ["[err-429] hello"]}),
    ("rerank-cohere", "/v1/rerank", {"model": "corerank", "query": "q", "documents": ["a", {"text": "b", "title": "t"}],
                                     "rank_fields": ["text"], "return_documents": True, "max_tokens_per_doc": 100}),
    ("rerank-cohere-top-n", "/rerank", {"model": "corerank", "query": "q", "documents": ["a", "b", "c"], "top_n": 2}),
    ("rerank-cohere-v2", "/v2/rerank", {"model": "corerank", "query": "q", "documents": ["a"], "max_chunks_per_doc": 2}),
    ("rerank-cohere-no-query", "/v1/rerank", {"model": "corerank", "documents": ["a"]}),
    ("rerank-cohere-no-documents", "/v1/rerank", {"model": "corerank", "query": "q"}),
    ("rerank-cohere-unknown-model", "/v1/rerank", {"model": "nope", "query": "q", "documents": ["a"]}),
    ("rerank-cohere-err-429", "/v1/rerank", {"model": "corerank", "query": "[err-429] q", "documents": ["a"]}),
    ("rerank-cohere-err-401", "/v1/rerank", {"model": "corerank", "query": "[err-401] q", "documents": ["a"]}),
    ("rerank-vllm", "/v1/rerank", {"model": "vllm", "query": "q", "documents": ["a", {"text": "b"}], "top_n": 2,
                                   "return_documents": True, "instruction": "Rank it", "max_tokens_per_doc": 64}),
    ("rerank-vllm-chunks", "/rerank", {"model": "vllm", "query": "q", "documents": ["a"], "max_chunks_per_doc": 2}),
    # Jina AI's own rerank shape.
    ("rerank-jina", "/v1/rerank", {"model": "jina", "query": "q", "documents": ["a", "b", "c"], "top_n": 2,
                                   "return_documents": True, "rank_fields": ["text"], "max_chunks_per_doc": 3}),
    ("rerank-jina-plain", "/rerank", {"documents": ["a"], "query": "q", "model": "jina"}),
    # Embeddings to Voyage AI: its parameter names, LiteLLM's usage.
    ("embed-voyage", "/v1/embeddings", {"model": "voy-embed", "input": ["a", "b"]}),
    ("embed-voyage-params", "/v1/embeddings", {"model": "voy-embed", "input": "a", "dimensions": 4, "encoding_format": "float",
                                              "input_type": "query", "truncation": True, "metadata": {"x": 1}}),
    ("embed-voyage-user", "/v1/embeddings", {"model": "voy-embed", "input": "a", "user": "u"}),
    ("embed-voyage-user-drop", "/v1/embeddings", {"model": "voy-embed", "input": "a", "user": "u", "drop_params": True}),
    ("embed-voyage-err-429", "/v1/embeddings", {"model": "voy-embed", "input": "[err-429] a"}),
    # Rerank to Voyage AI: top_n as top_k, results from its data.
    ("rerank-voyage", "/v1/rerank", {"model": "voy", "query": "q", "documents": ["a", "b", "c"], "top_n": 2,
                                     "return_documents": True, "rank_fields": ["text"]}),
    ("rerank-voyage-plain", "/rerank", {"documents": ["a", "b"], "query": "q", "model": "voy"}),
    ("rerank-voyage-err-429", "/v1/rerank", {"model": "voy", "query": "[err-429] q", "documents": ["a"]}),
    ("rerank-jina-err-429", "/v1/rerank", {"model": "jina", "query": "[err-429] q", "documents": ["a"]}),
    # Rerank to Bedrock's Rerank API (the agent runtime), signed in the model ARN's region.
    ("rerank-bedrock", "/v1/rerank", {"model": "br-rerank", "query": "q", "documents": ["a", {"title": "b"}, "c"],
                                      "top_n": 2, "return_documents": True}),
    ("rerank-bedrock-plain", "/rerank", {"model": "br-rerank", "query": "q", "documents": ["a", "b"]}),
    ("rerank-bedrock-err-429", "/v1/rerank", {"model": "br-rerank", "query": "[err-429] q", "documents": ["a"]}),
    ("rerank-bedrock-err-400", "/v1/rerank", {"model": "br-rerank", "query": "[err-400] q", "documents": ["a"]}),
    # Errors in each route's shape.
    ("messages-unknown-model", "/v1/messages", messages("nope", "text", False)),
    ("messages-no-max-tokens", "/v1/messages", {"model": "claude", "messages": [{"role": "user", "content": "Hi"}]}),
    ("chat-unknown-model", "/v1/chat/completions", chat("nope", "text", False)),
]
#: A conversation with the message shapes providers' configs rewrite: system and developer
#: turns (string and parts), images in user turns, an assistant's content parts, tool calls
#: with empty content, tool results, cache_control on a part, an empty assistant turn.
ROW_HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": [{"type": "text", "text": "Second rule."}]},
    {"role": "user", "content": [{"type": "text", "text": "[text] What is in it?", "cache_control": {"type": "ephemeral"}},
                                 {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
    {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}], "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "Sunny, 21C"}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_2", "content": "{\"time\": \"12:00\"}"},
    {"role": "assistant", "content": ""},
    {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]},
]

#: PARAMS without the tool parameters, which LiteLLM allows on its JSON-configured providers by
#: the model's cost map entry (corelane sends them).
ROW_PARAMS = {k: v for k, v in PARAMS.items() if k not in ("tools", "tool_choice", "parallel_tool_calls")}
CASES += [(f"chat-row-{row}", "/v1/chat/completions", chat(f"row-{row}", "text", False, **ROW_PARAMS)) for row in ROW_SWEEP]
CASES += [(f"chat-row-{row}-history", "/v1/chat/completions", {"model": f"row-{row}", "messages": ROW_HISTORY})
          for row in ROW_SWEEP]
CASES += [(f"chat-{model}-history-shapes", "/v1/chat/completions", {"model": model, "messages": ROW_HISTORY})
          for model in ("gpt", "copenai", "aiohttp", "groq", "mistral", "pplx", "fw", "cere", "grok", "or", "tog", "dinfra", "nim", "samba",
                        "dsk", "vllm")]
#: Embeddings to every OpenAI-format row that serves them, with the parameters a client may send.
EMBED_SWEEP = {"input": ["[text] a", "b"], "encoding_format": "float", "dimensions": 8, "user": "u1"}
CASES += [(f"embeddings-row-{row}", "/v1/embeddings", {"model": f"row-{row}", **EMBED_SWEEP})
          for row in ("lm_studio", "litellm_proxy", "cometapi", "dashscope", "qwencloud", "qwen_ai_platform", "edenai",
                      "llamafile", "nebius", "ovhcloud", "vercel_ai_gateway", "volcengine", "wandb", "xinference")]
CASES += [(f"embeddings-{model}-sweep", "/v1/embeddings", {"model": model, **EMBED_SWEEP})
          for model in ("tog", "fw", "mistral", "dinfra", "nim")]
CASES += [("embeddings-mistral-drop", "/v1/embeddings", {"model": "mistral", **EMBED_SWEEP, "drop_params": True})]
CASES += [(f"chat-row-{row}-stream", "/v1/chat/completions",
           chat(f"row-{row}", "text", True, stream_options={"include_usage": True})) for row in ROW_SWEEP]

#: Text completions to every OpenAI-format row and deployment: LiteLLM sends them to the row's
#: `/completions` where it has one (its openai_text_completion_compatible_providers), else as a
#: chat completion of one user message a prompt, answered as a text completion.
TEXT_PARAMS = {"max_tokens": 20, "temperature": 0.5, "top_p": 0.9, "user": "u1", "seed": 7, "n": 1, "stop": ["zz"],
               "presence_penalty": 0.1, "frequency_penalty": 0.1}
TEXT_ONLY = {"echo": False, "best_of": 1, "suffix": "!", "logprobs": 2}
TEXT_MODELS = [f"row-{row}" for row in ROW_SWEEP] + ["gpt", "groq", "mistral", "pplx", "fw", "cere", "grok", "or", "tog",
                                                   "dinfra", "nim", "samba", "dsk", "vllm"]
CASES += [(f"completions-{m}", "/v1/completions", {"model": m, "prompt": "[text] Say hi", **TEXT_PARAMS})
          for m in TEXT_MODELS]
CASES += [(f"completions-{m}-text-params", "/v1/completions", {"model": m, "prompt": "[text] Say hi", **TEXT_ONLY})
          for m in TEXT_MODELS]
CASES += [(f"completions-{m}-stream", "/v1/completions",
           {"model": m, "prompt": "[text] Say hi", "stream": True, "stream_options": {"include_usage": True}})
          for m in TEXT_MODELS]
CASES += [(f"completions-{m}-list", "/v1/completions", {"model": m, "prompt": ["[text] one", "two"]})
          for m in ("gpt", "dsk", "tog", "groq")]
#: Text completions to the families with their own wire format, through their chat translation.
FAMILY_TEXT = ["claude", "gem", "vx", "vx-claude", "br", "br-nova", "cmdr", "cmda"]
CASES += [(f"completions-{m}", "/v1/completions", {"model": m, "prompt": "[text] Say hi", "max_tokens": 20})
          for m in FAMILY_TEXT]
CASES += [(f"completions-{m}-stream", "/v1/completions",
           {"model": m, "prompt": "[text] Say hi", "stream": True, "stream_options": {"include_usage": True}})
          for m in FAMILY_TEXT]
#: The parameters LiteLLM refuses on OpenAI's own row whatever the model (and drops on request).
CASES += [("chat-openai-thinking", "/v1/chat/completions",
           chat("gpt", "text", False, thinking={"type": "enabled", "budget_tokens": 1024})),
          ("chat-openai-context-management", "/v1/chat/completions",
           chat("gpt", "text", False, context_management={"edits": []})),
          ("chat-openai-thinking-drop", "/v1/chat/completions",
           chat("gpt", "text", False, thinking={"type": "enabled", "budget_tokens": 1024}, drop_params=True))]
CASES += [("completions-dsk-tokens", "/v1/completions", {"model": "dsk", "prompt": [1, 2, 3]}),
          ("completions-dsk-no-usage-stream", "/v1/completions", {"model": "dsk", "prompt": "[text] Hi", "stream": True}),
          ("completions-dsk-drop", "/v1/completions", {"model": "dinfra", "prompt": "[text] Hi", "seed": 1, "drop_params": True})]

#: Cache marks on tools: kept for `openai/` on another host than OpenAI's, removed for
#: `custom_openai/` (LiteLLM's `_should_preserve_cache_control_for_endpoint`).
CASES += [(f"chat-{model}-tool-cache-marks", "/v1/chat/completions",
           chat(model, "tool", False, tools=[{**GEMINI_TOOL, "cache_control": {"type": "ephemeral"}}]))
          for model in ("gpt", "copenai", "aiohttp")]

#: OpenAI's reasoning series, whose tables LiteLLM picks by the model's name: o-series and
#: GPT-5 (refusals, max_tokens as max_completion_tokens, o-series temperatures).
CASES += [case for model in ("o3m", "g5") for case in [
    (f"chat-{model}-params", "/v1/chat/completions", chat(model, "text", False, **PARAMS)),
    (f"chat-{model}-params-drop", "/v1/chat/completions", chat(model, "text", False, **PARAMS, drop_params=True)),
    (f"chat-{model}-max-tokens", "/v1/chat/completions", chat(model, "text", False, max_tokens=10, temperature=1)),
    (f"chat-{model}-both-max", "/v1/chat/completions", chat(model, "text", False, max_tokens=10, max_completion_tokens=30)),
    (f"chat-{model}-temperature", "/v1/chat/completions", chat(model, "text", False, temperature=0.5)),
    (f"chat-{model}-temperature-zero", "/v1/chat/completions", chat(model, "text", False, temperature=0, seed=1)),
    (f"chat-{model}-temperature-drop", "/v1/chat/completions", chat(model, "text", False, temperature=0.5, drop_params=True)),
    (f"chat-{model}-sampling", "/v1/chat/completions", chat(model, "text", False, top_p=0.5, logprobs=True, top_logprobs=2)),
    (f"chat-{model}-gpt5-refusals", "/v1/chat/completions",
     chat(model, "text", False, stop="x", logit_bias={"1": 1}, modalities=["text"], web_search_options={})),
    (f"chat-{model}-stream", "/v1/chat/completions", chat(model, "text", True, max_tokens=5)),
    (f"completions-{model}", "/v1/completions", {"model": model, "prompt": "[text] Hi", "max_tokens": 5}),
    (f"chat-{model}-reasoning", "/v1/chat/completions", chat(model, "text", False, reasoning_effort="low"))]]
#: GPT-5 models with a "none" reasoning effort (by default on gpt-5.1, asked for on gpt-5.5):
#: temperature and sampling only without reasoning.
CASES += [case for model in ("g51", "g55") for case in [
    (f"chat-{model}-temperature", "/v1/chat/completions", chat(model, "text", False, temperature=0.5, top_p=0.9)),
    (f"chat-{model}-temperature-none", "/v1/chat/completions",
     chat(model, "text", False, temperature=0.5, logprobs=True, top_logprobs=1, reasoning_effort="none")),
    (f"chat-{model}-temperature-low", "/v1/chat/completions", chat(model, "text", False, temperature=0.5, reasoning_effort="low")),
    (f"chat-{model}-sampling-low", "/v1/chat/completions",
     chat(model, "text", False, top_p=0.5, reasoning_effort={"effort": "low", "summary": "auto"})),
    (f"chat-{model}-sampling-drop", "/v1/chat/completions",
     chat(model, "text", False, temperature=0.2, top_p=0.5, reasoning_effort="medium", drop_params=True))]]

#: DeepSeek's thinking mode: the assistant turns of a model that reasons get their
#: reasoning_content (kept in provider_specific_fields, else a space) when thinking is on.
DEEPSEEK_TURNS = [
    {"role": "user", "content": "[text] Hi"},
    {"role": "assistant", "content": "Hello", "provider_specific_fields": {"reasoning_content": "They greet.", "x": 1}},
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
    {"role": "assistant", "content": "Sunny.", "reasoning_content": "Done."},
    {"role": "assistant", "content": "More.", "reasoning_content": ""},
    {"content": "No role."},
    {"role": "user", "content": "Thanks"}]
CASES += [(f"chat-{model}-thinking-turns{suffix}", "/v1/chat/completions",
           {"model": model, "messages": DEEPSEEK_TURNS, **extra})
          for model in ("dsr", "dsk")
          for suffix, extra in (("", {"thinking": {"type": "enabled"}}), ("-effort", {"reasoning_effort": "high"}),
                                ("-effort-none", {"reasoning_effort": "none"}), ("-off", {}))]

#: Moonshot: temperatures clamped, tool_choice "required" as a user turn, content lists as
#: text unless a message has another part; its reasoning models (kimi-k2.5) without
#: temperature, with reasoning_effort as a string and reasoning_content on tool-call turns.
MOONSHOT_TURNS = [
    {"role": "user", "content": [{"type": "text", "text": "[tool] Weather"}, {"type": "text", "text": " now?"}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
     "provider_specific_fields": {"reasoning_content": "Look it up."}},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
    {"role": "assistant", "content": "Sunny.", "tool_calls": [
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_2", "content": "noon"},
    {"role": "assistant", "content": "Noon."},
    {"role": "user", "content": "Thanks"}]
CASES += [case for model in ("row-moonshot", "kimi") for case in [
    (f"chat-{model}-temperature-high", "/v1/chat/completions", chat(model, "text", False, temperature=1.5)),
    (f"chat-{model}-temperature-low-n", "/v1/chat/completions", chat(model, "text", False, temperature=0.1, n=2)),
    (f"chat-{model}-tool-required", "/v1/chat/completions",
     chat(model, "tool", False, tools=[GEMINI_TOOL], tool_choice="required", max_completion_tokens=9)),
    (f"chat-{model}-turns", "/v1/chat/completions", {"model": model, "messages": MOONSHOT_TURNS, "tools": [GEMINI_TOOL]}),
    (f"chat-{model}-image-turns", "/v1/chat/completions", {"model": model, "messages": [
        *MOONSHOT_TURNS[:1], {"role": "user", "content": [{"type": "text", "text": "and"},
                                                           {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}),
    (f"chat-{model}-effort", "/v1/chat/completions", chat(model, "text", False, reasoning_effort={"effort": "low", "summary": "auto"})),
    (f"chat-{model}-effort-drop", "/v1/chat/completions", chat(model, "text", False, reasoning_effort="low", drop_params=True))]]

#: Azure OpenAI: the deployment's path with `?api-version=`, the key as `api-key`; chat,
#: streams, embeddings, text completions (through chat for `azure/`, native for
#: `azure_text/`), the Responses API passed through, Messages through chat, errors.
CASES += [("chat-azure", "/v1/chat/completions", chat("az", "text", False)),
          ("chat-azure-params", "/v1/chat/completions", chat("az", "text", False, **PARAMS)),
          ("chat-azure-history-shapes", "/v1/chat/completions", {"model": "az", "messages": ROW_HISTORY}),
          ("chat-azure-tool", "/v1/chat/completions", chat("az", "tool", False, tools=[GEMINI_TOOL])),
          ("chat-azure-stream", "/v1/chat/completions", chat("az", "text", True, stream_options={"include_usage": True})),
          ("chat-azure-stream-plain", "/v1/chat/completions", chat("az", "text", True)),
          ("chat-azure-stream-tool", "/v1/chat/completions", chat("az", "tool", True, tools=[GEMINI_TOOL])),
          ("chat-azure-tool-choice-alone", "/v1/chat/completions", chat("az", "text", False, tool_choice="auto")),
          ("chat-azure-images", "/v1/chat/completions", {"model": "az", "messages": [
              {"role": "user", "content": [{"type": "text", "text": "[text] What?"},
                                           {"type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                                           {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "format": "image/png", "detail": "low"}},
                                           {"type": "file", "file": {"file_id": "file-1", "format": "application/pdf"}}]}]}),
          ("chat-azure-thinking", "/v1/chat/completions",
           chat("az", "text", False, thinking={"type": "enabled", "budget_tokens": 1024})),
          *[(f"chat-azure-{e}", "/v1/chat/completions", chat("az", e, False)) for e in ("err-400", "err-401", "err-403", "err-404", "err-422", "err-429", "err-500", "err-502", "err-503", "err-504",
                                                                       "err-529", "err-az-filter", "err-az-context", "err-az-deployment",
                                                                       "err-az-plain-400", "err-content")],
          ("chat-azure-stream-err-429", "/v1/chat/completions", chat("az", "err-429", True)),
          ("embeddings-azure", "/v1/embeddings", {"model": "az-embed", "input": ["[text] a", "b"]}),
          ("embeddings-azure-sweep", "/v1/embeddings", {"model": "az-embed", **EMBED_SWEEP}),
          ("embeddings-azure-err-429", "/v1/embeddings", {"model": "az-embed", "input": "[err-429] a"}),
          ("completions-az", "/v1/completions", {"model": "az", "prompt": "[text] Say hi", **TEXT_PARAMS}),
          ("completions-az-stream", "/v1/completions",
           {"model": "az", "prompt": "[text] Say hi", "stream": True, "stream_options": {"include_usage": True}}),
          ("completions-az-text", "/v1/completions", {"model": "az-text", "prompt": "[text] Say hi", **TEXT_PARAMS}),
          ("completions-az-text-params", "/v1/completions", {"model": "az-text", "prompt": "[text] Say hi", **TEXT_ONLY}),
          ("completions-az-text-stream", "/v1/completions",
           {"model": "az-text", "prompt": "[text] Say hi", "stream": True, "stream_options": {"include_usage": True}}),
          ("responses-azure", "/v1/responses", {"model": "az", "input": "[text] Hi", "max_output_tokens": 5}),
          ("responses-azure-get", "GET /v1/responses/{last}", {}),
          ("responses-azure-delete", "DELETE /v1/responses/{last}", {}),
          ("responses-azure-stream", "/v1/responses", {"model": "az", "input": "[text] Hi", "stream": True}),
          ("messages-azure", "/v1/messages", messages("az", "text", False)),
          ("messages-azure-stream", "/v1/messages", messages("az", "text", True))]

_IDS = [(re.compile(r"^resp_[A-Za-z0-9+/=_-]{40,}$"), "resp_ID"),
        (re.compile(r"^rs_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), "rs_ID"),
        (re.compile(r"^chatcmpl-[0-9a-f-]{36}$"), "chatcmpl-ID"), (re.compile(r"^call_[0-9a-f]{28}$"), "call_ID"), (re.compile(r"^msg_[0-9a-f-]{36}$"), "msg_ID"),
        # Bare uuid4s: Ollama's stream chunks and tool calls (LiteLLM's ids for them), and
        # `call_` ones (a tool call read from /api/generate's JSON).
        (re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), "UUID"),
        (re.compile(r"^call_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), "call_UUID")]


def mask(value):
    if isinstance(value, dict):
        return {k: (0 if k in ("created", "created_at") else mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        for pattern, replacement in _IDS:
            if pattern.match(value):
                return replacement
    return value


def read_answer(status: int, content_type: str, body: bytes) -> dict:
    text = body.decode("utf-8", "replace")
    if "text/event-stream" in content_type:
        events = []
        for block in text.split("\n\n"):
            if not block.strip():
                continue
            name = None
            data = None
            for line in block.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
            try:
                payload = mask(json.loads(data)) if data is not None else None
            except ValueError:
                payload = data
            events.append({"event": name, "data": payload})
        return {"status": status, "stream": events}
    try:
        return {"status": status, "json": mask(json.loads(text))}
    except ValueError:
        return {"status": status, "text": text}


#: Where LiteLLM's router starts the report it appends to an upstream error (fallback hints,
#: deployment info, "No fallback was attempted"). corelane has no router yet (issue 9), so the
#: suite compares LiteLLM's messages without it; everything before it must match.
_ROUTER_REPORT = re.compile(r"(\nmodel=|\n\nDeployment Info:|\n\nLiteLLM: model group ).*", re.S)


def without_router_report(answer: dict) -> dict:
    error = answer.get("json", {}).get("error") if isinstance(answer.get("json"), dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        error["message"] = _ROUTER_REPORT.sub("", error["message"])
    return answer


#: The last response id each gateway issued (by port), for the cases naming `{last}`.
LAST_RESPONSE_ID: dict[int, str] = {}


def send(port: int, route: str, body: dict) -> dict:
    headers = {"content-type": "application/json"}
    # A case's extra request headers ride in its body under "__headers".
    body = dict(body)
    headers.update(body.pop("__headers", {}))
    # "GET /path": a method other than POST, and no body.
    method, _, path = route.rpartition(" ")
    last = LAST_RESPONSE_ID.get(port, "")
    path = path.replace("{last}", last)
    body = {k: (last if v == "{last}" else v) for k, v in body.items()}
    if route.startswith("/v1/messages"):
        headers["x-api-key"] = MASTER_KEY
    else:
        headers["authorization"] = f"Bearer {MASTER_KEY}"
    data = json.dumps(body).encode() if not method else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method or "POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            if path.split("?")[0].endswith("/responses") and not body.get("stream"):
                LAST_RESPONSE_ID[port] = json.loads(raw).get("id", "")
            return read_answer(resp.status, resp.headers.get("content-type", ""), raw)
    except urllib.error.HTTPError as e:
        return read_answer(e.code, e.headers.get("content-type", ""), e.read())


def token_problem(tokens: list[dict]) -> str | None:
    """The Vertex cases' token requests, one or more per gateway: every one a JWT-bearer grant
    whose assertion has the same header and claims (the times aside); None when they agree."""
    views = []
    for t in tokens:
        form = urllib.parse.parse_qs(t["form"])
        header, claims, _ = form["assertion"][0].split(".")
        decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        claims = decode(claims)
        views.append({"content-type": t["headers"].get("content-type"), "grant_type": form["grant_type"],
                      "header": decode(header), "lifetime": claims.pop("exp") - claims.pop("iat"), "claims": claims})
    if len(views) < 2:
        return f"DIFFERS: {len(views)} token requests, expected one per gateway at least"
    diff = [d for v in views[1:] for d in differences(views[0], v)]
    return "DIFFERS: " + " | ".join(diff[:3]) if diff else None


#: The config's deployments as (provider, provider model), for the fixtures' args.
DEPLOYMENTS = {"gem": ("gemini", "gemini-2.5-flash"), "gem-embed": ("gemini", "text-embedding-004"),
               "vx": ("vertex_ai", "gemini-2.5-flash"),
               "vx-embed": ("vertex_ai", "text-embedding-005"), "vx-embed-gem": ("vertex_ai", "gemini-embedding-001"),
               "vx-embed-mm": ("vertex_ai", "multimodalembedding@001"), "vx-embed-gem2": ("vertex_ai", "gemini-embedding-2"), "br": ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
               "br-session": ("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
               "br-nova": ("bedrock", "amazon.nova-pro-v1:0"),
               "br-titan1": ("bedrock", "amazon.titan-embed-text-v1"), "br-titan2": ("bedrock", "amazon.titan-embed-text-v2:0"),
               "br-titan-image": ("bedrock", "amazon.titan-embed-image-v1"),
               "br-cohere-embed": ("bedrock", "cohere.embed-english-v3"),
               "br-rerank": ("bedrock", "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0"), "ocr": ("mistral", "mistral-ocr-latest"),
               "vx-claude": ("vertex_ai", "claude-sonnet-4-5@20250929"),
               "oll": ("ollama", "llama3.2"), "oll-chat": ("ollama_chat", "llama3.2"), "oll-embed": ("ollama", "nomic-embed-text"),
               "cmdr": ("cohere", "command-r-plus"), "cmda": ("cohere_chat", "command-a-03-2025"),
               "coembed": ("cohere", "embed-english-v3.0"), "corerank": ("cohere", "rerank-v3.5"),
               "vllm": ("hosted_vllm", "my-llama"), "gpt": ("openai", "gpt-4o"), "az": ("azure", "gpt-4o"),
               "az-embed": ("azure", "text-embedding-3-small"), "az-text": ("azure_text", "gpt-35-turbo-instruct"),
               "dsk": ("deepseek", "deepseek-chat"), "jina": ("jina_ai", "jina-reranker-v2-base-multilingual"),
               "voy": ("voyage", "rerank-2"), "or": ("openrouter", "openai/gpt-4o"), "voy-embed": ("voyage", "voyage-3"), "claude": ("anthropic", "claude-sonnet-4-5")}
ENDPOINTS = {"/v1/chat/completions": "chat", "/v1/embeddings": "embeddings", "/v1/messages": "messages",
             "/v1/completions": "completions", "/v1/ocr": "ocr",
             "/v1/rerank": "rerank", "/rerank": "rerank", "/v2/rerank": "rerank", "/v1/responses": "responses",
             "/responses": "responses"}


def write_fixture(root: str, name: str, route: str, client_body: dict, requests: list[dict], answer: dict) -> None:
    """A golden fixture from LiteLLM's side of one case (DIFF_CAPTURE=<dir>): the client's
    body, what LiteLLM sent the provider, the provider's answer, and LiteLLM's answer to the
    client (ids and times masked)."""
    if len(requests) != 1 or "answer" not in requests[0] or " " in route:
        return
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    client_body = dict(client_body)
    headers = client_body.pop("__headers", {})
    (folder / "openai_request.json").write_text(json.dumps(client_body, indent=1) + "\n")
    (folder / "provider_request.json").write_text(json.dumps(requests[0]["body"], indent=1) + "\n")
    sent = requests[0]["answer"]
    suffix = {"application/vnd.amazon.eventstream": "eventstream", "text/event-stream": "sse",
              "application/x-ndjson": "ndjson"}.get(
        sent["content_type"], "json")
    (folder / f"provider_response.{suffix}").write_bytes(sent["bytes"])
    (folder / "openai_response.json").write_text(json.dumps(answer, indent=1) + "\n")
    provider, model = DEPLOYMENTS[client_body["model"]]
    stream_options = client_body.get("stream_options") or {}
    args = {"provider": provider, "model": model, "endpoint": ENDPOINTS[route],
            "requested_model": client_body["model"], "stream": str(bool(client_body.get("stream"))).lower(),
            "include_usage": str(bool(stream_options.get("include_usage"))).lower()}
    if "anthropic-beta" in headers:
        args["anthropic_beta"] = headers["anthropic-beta"]
    (folder / "args").write_text("".join(f"{k}={v}\n" for k, v in args.items()))
    (folder / "README").write_text(f"Captured from LiteLLM 1.108.7's proxy by the differential suite (case {name}, "
                                   "DIFF_CAPTURE): the client's request, what LiteLLM sent the provider, the provider's "
                                   "scripted answer (harness/differential/upstream.py) and LiteLLM's answer to the client, "
                                   "ids and times masked.\n")


def upstream_header(name: str, value: str) -> str:
    if name == "x-amz-date":
        return "DATE" if re.fullmatch(r"\d{8}T\d{6}Z", value) else value
    if name == "authorization":
        for pattern, replacement in _SIGV4_TIME:
            value = pattern.sub(replacement, value)
    return value


def upstream_view(requests: list[dict]) -> list[dict]:
    return [{"method": r.get("method", "POST"), "path": r["path"], "headers": {h: upstream_header(h, r["headers"][h]) for h in HEADERS if h in r["headers"]},
             "body": r["body"]}
            for r in requests]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, name: str, limit: float) -> None:
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"{name} did not start within {limit:.0f} s")


def load_exceptions() -> dict[tuple[str, str], str]:
    """(case pattern, part) -> reason; a pattern may use shell wildcards (`*-err-429`)."""
    out = {}
    for line in (HERE / "exceptions.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        case, part, reason = (x.strip() for x in line.split("|", 2))
        out[(case, part)] = reason
    return out


def exception_for(exceptions: dict[tuple[str, str], str], case: str, part: str):
    """The first listed (pattern, part) that covers this case's part, with its reason."""
    return next(((key, reason) for key, reason in exceptions.items()
                 if key[1] == part and fnmatch.fnmatchcase(case, key[0])), (None, None))


def differences(a, b, path: str = "") -> list[str]:
    """Every place where the two values differ (a path and both sides, shortened)."""
    if type(a) is not type(b):
        return [f"{path or '/'}: {json.dumps(a)[:160]} != {json.dumps(b)[:160]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'LiteLLM' if k in a else 'corelane'}")
            else:
                out.extend(differences(a[k], b[k], f"{path}/{k}"))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}/{i}")]
    return [] if a == b else [f"{path or '/'}: {json.dumps(a)[:160]} != {json.dumps(b)[:160]}"]


def main() -> int:
    litellm = Path(os.environ.get("LITELLM_BIN", HERE.parent / ".venv-litellm" / "bin" / "litellm"))
    corelane = Path(os.environ["CORELANE_BIN"])
    upstream = Upstream()
    base = f"http://127.0.0.1:{upstream.port}"
    work = Path(tempfile.mkdtemp(prefix="corelane-diff-"))
    (work / "sa.json").write_text(json.dumps({
        "type": "service_account", "project_id": "proj-1", "private_key_id": "kid-1",
        "private_key": TEST_KEY.read_text(), "client_email": "gw@proj-1.iam.gserviceaccount.com",
        "token_uri": f"{base}/token"}))
    row_deployments = "".join(
        f"  - model_name: {name}\n    litellm_params: {{model: {model}, api_base: \"{base}/v1\", api_key: sk-upstream}}\n"
        for name, model in {**OPENAI_FORMAT, **{f"row-{row}": f"{row}/test-model" for row in ROW_SWEEP}}.items())
    config = f"""model_list:
  - model_name: claude
    litellm_params: {{model: anthropic/claude-sonnet-4-5, api_base: "{base}", api_key: sk-ant-upstream}}
  - model_name: az
    litellm_params: {{model: azure/gpt-4o, api_base: "{base}", api_key: az-upstream, api_version: "2024-10-21"}}
  - model_name: az-embed
    litellm_params: {{model: azure/text-embedding-3-small, api_base: "{base}", api_key: az-upstream, api_version: "2024-10-21"}}
  - model_name: az-text
    litellm_params: {{model: azure_text/gpt-35-turbo-instruct, api_base: "{base}", api_key: az-upstream, api_version: "2024-10-21"}}
  - model_name: jina
    litellm_params: {{model: jina_ai/jina-reranker-v2-base-multilingual, api_base: "{base}/v1", api_key: jina-upstream}}
  - model_name: voy-embed
    litellm_params: {{model: voyage/voyage-3, api_base: "{base}/v1", api_key: pa-upstream}}
  - model_name: voy
    litellm_params: {{model: voyage/rerank-2, api_base: "{base}/v1", api_key: pa-upstream}}
  - model_name: gem
    litellm_params: {{model: gemini/gemini-2.5-flash, api_base: "{base}/v1beta", api_key: AIza-upstream}}
  - model_name: gem-embed
    litellm_params: {{model: gemini/text-embedding-004, api_base: "{base}/v1beta", api_key: AIza-upstream}}
  - model_name: br
    litellm_params: {{model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: br-session
    litellm_params: {{model: bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0, api_base: "{base}", aws_region_name: eu-west-1,
                      aws_access_key_id: ASIAEXAMPLE, aws_secret_access_key: secret, aws_session_token: session-token-1}}
  - model_name: br-nova
    litellm_params: {{model: bedrock/amazon.nova-pro-v1:0, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: vx-claude
    litellm_params: {{model: vertex_ai/claude-sonnet-4-5@20250929, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-east5, vertex_credentials: "{work / 'sa.json'}"}}
  - model_name: ocr
    litellm_params: {{model: mistral/mistral-ocr-latest, api_base: "{base}/v1", api_key: mistral-upstream}}
  - model_name: br-titan1
    litellm_params: {{model: bedrock/amazon.titan-embed-text-v1, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: br-titan2
    litellm_params: {{model: bedrock/amazon.titan-embed-text-v2:0, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: br-titan-image
    litellm_params: {{model: bedrock/amazon.titan-embed-image-v1, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: br-rerank
    litellm_params: {{model: "bedrock/arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0", api_base: "{base}",
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: br-cohere-embed
    litellm_params: {{model: bedrock/cohere.embed-english-v3, api_base: "{base}", aws_region_name: us-east-1,
                      aws_access_key_id: AKIDEXAMPLE, aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
  - model_name: oll
    litellm_params: {{model: ollama/llama3.2, api_base: "{base}"}}
  - model_name: oll-chat
    litellm_params: {{model: ollama_chat/llama3.2, api_base: "{base}", api_key: sk-ollama}}
  - model_name: oll-embed
    litellm_params: {{model: ollama/nomic-embed-text, api_base: "{base}/"}}
  - model_name: cmdr
    litellm_params: {{model: cohere/command-r-plus, api_base: "{base}/v2/chat", api_key: co-upstream}}
  - model_name: cmda
    litellm_params: {{model: cohere_chat/command-a-03-2025, api_base: "{base}/v2/chat", api_key: co-upstream}}
  - model_name: coembed
    litellm_params: {{model: cohere/embed-english-v3.0, api_base: "{base}/v2/embed", api_key: co-upstream}}
  - model_name: corerank
    litellm_params: {{model: cohere/rerank-v3.5, api_base: "{base}", api_key: co-upstream}}
  - model_name: vx-embed
    litellm_params: {{model: vertex_ai/text-embedding-005, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-east5, vertex_credentials: "{work / 'sa.json'}"}}
  - model_name: vx-embed-gem
    litellm_params: {{model: vertex_ai/gemini-embedding-001, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-central1, vertex_credentials: "{work / 'sa.json'}"}}
  - model_name: vx-embed-mm
    litellm_params: {{model: vertex_ai/multimodalembedding@001, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-east5, vertex_credentials: "{work / 'sa.json'}"}}
  - model_name: vx-embed-gem2
    litellm_params: {{model: vertex_ai/gemini-embedding-2, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-east5, vertex_credentials: "{work / 'sa.json'}"}}
  - model_name: vx
    litellm_params: {{model: vertex_ai/gemini-2.5-flash, api_base: "{base}", vertex_project: proj-1,
                      vertex_location: us-east5, vertex_credentials: "{work / 'sa.json'}"}}
{row_deployments}general_settings:
  master_key: {MASTER_KEY}
litellm_settings:
  use_chat_completions_url_for_anthropic_messages: true
router_settings:
  disable_cooldowns: true
"""
    (work / "config.yaml").write_text(config)
    ports = {"LiteLLM": free_port(), "corelane": free_port()}
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    procs = {
        "LiteLLM": subprocess.Popen([str(litellm), "--config", str(work / "config.yaml"), "--port", str(ports["LiteLLM"])],
                                    stdout=open(work / "litellm.log", "w"), stderr=subprocess.STDOUT, env=env),
        "corelane": subprocess.Popen([str(corelane), "--config", str(work / "config.yaml"), "--port", str(ports["corelane"]),
                                      "--data-dir", str(work / "corelane-data")],
                                     stdout=open(work / "corelane.log", "w"), stderr=subprocess.STDOUT, env=env),
    }
    try:
        wait_ready(ports["corelane"], procs["corelane"], "corelane", 30)
        wait_ready(ports["LiteLLM"], procs["LiteLLM"], "LiteLLM", 240)
        exceptions = load_exceptions()
        used = set()
        failed = 0
        only = re.compile(os.environ.get("DIFF_ONLY", ""))
        capture = os.environ.get("DIFF_CAPTURE")
        capture_pattern = re.compile(os.environ.get("DIFF_CAPTURE_ONLY", "."))
        for name, route, body in CASES:
            if not only.search(name):
                continue
            seen = {}
            litellm_upstream = []
            for target in ("LiteLLM", "corelane"):
                upstream.reset()
                answer = send(ports[target], route, body)
                if target == "LiteLLM" and "lemonade" in name:
                    # Its model-info GET comes after the answer: waited for, so that it lands
                    # in this case's recording rather than the next one's.
                    time.sleep(1.0)
                requests = upstream.reset()
                if target == "LiteLLM":
                    answer = without_router_report(answer)
                    litellm_upstream = requests
                seen[target] = {"response": answer, "upstream": upstream_view(requests)}
            if capture and capture_pattern.search(name):
                write_fixture(capture, name, route, body, litellm_upstream, seen["LiteLLM"]["response"])
            for part in ("upstream", "response"):
                diff = differences(seen["LiteLLM"][part], seen["corelane"][part])
                key, reason = exception_for(exceptions, name, part)
                if not diff:
                    status = "same"
                    if key is not None and key[0] == name:
                        status = f"STALE EXCEPTION ({reason})"
                        failed += 1
                elif key is not None:
                    used.add(key)
                    status = f"differs as excepted: {reason}"
                else:
                    status = "DIFFERS: " + " | ".join(diff if os.environ.get("DIFF_ALL") else diff[:3])
                    failed += 1
                    if os.environ.get("DIFF_VERBOSE"):
                        for target in ("LiteLLM", "corelane"):
                            print(f"--- {target}:\n{json.dumps(seen[target][part], indent=1)[:6000]}")
                print(f"{name:34} {part:9} {status}")
        if only.pattern:
            # A partial run: the token check and stale exceptions need every case.
            print(f"\n{failed} unexpected in the cases matching {only.pattern!r}; logs in {work}")
            return 1 if failed else 0
        problem = token_problem(upstream.tokens)
        print(f"{'vertex-token':34} {'upstream':9} {problem or 'same'}")
        failed += bool(problem)
        for key in sorted(set(exceptions) - used):
            print(f"{key[0]:34} {key[1]:9} STALE EXCEPTION: no case differs there")
            failed += 1
        print(f"\n{len(CASES)} cases, {failed} unexpected; logs in {work}")
        return 1 if failed else 0
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
