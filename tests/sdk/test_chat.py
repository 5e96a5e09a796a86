"""Chat completions through the gateway with the official SDK: parsing, headers, streams."""

from __future__ import annotations

import json

import openai
import pytest

from support import MASTER_KEY, MOCK_STREAM_CHUNKS, MOCK_TEXT, UPSTREAM_KEY

MESSAGES = [{"role": "user", "content": "Say hello"}]


def test_chat_completion_is_parsed_with_group_name_and_usage(client: openai.OpenAI):
    resp = client.chat.completions.create(model="gpt-mock", messages=MESSAGES)
    assert resp.object == "chat.completion"
    # LiteLLM returns the model group the client asked for, not the provider's model id.
    assert resp.model == "gpt-mock"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == MOCK_TEXT
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == 10
    assert resp.usage.completion_tokens == 6
    assert resp.usage.total_tokens == 16


def test_upstream_gets_provider_model_and_gateway_key(client: openai.OpenAI, upstream):
    client.chat.completions.create(model="gpt-mock", messages=MESSAGES, temperature=0.25)
    (req,) = upstream.requests()
    assert req["method"] == "POST"
    assert req["path"] == "/v1/chat/completions"
    # The gateway's key for the provider goes upstream; the client's proxy key never does.
    assert req["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert MASTER_KEY not in json.dumps(req)
    body = json.loads(req["body"])
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.25


def test_raw_response_carries_litellm_headers(client: openai.OpenAI, mock):
    raw = client.chat.completions.with_raw_response.create(model="gpt-mock", messages=MESSAGES)
    assert raw.status_code == 200
    h = raw.headers
    call_id = h.get("x-litellm-call-id")
    assert call_id, "x-litellm-call-id missing"
    assert h.get("x-litellm-model-group") == "gpt-mock"
    assert h.get("x-litellm-model-id"), "x-litellm-model-id missing"
    assert h.get("x-litellm-model-api-base") == f"{mock.proc.url}/v1"
    assert h.get("x-litellm-attempted-retries") == "0"
    assert float(h["x-litellm-overhead-duration-ms"]) >= 0.0
    # gpt-4o-mini is priced, so the cost of the mock's 10 + 6 tokens is positive.
    assert float(h["x-litellm-response-cost"]) > 0.0
    parsed = raw.parse()
    assert parsed.model == "gpt-mock"
    assert parsed.choices[0].message.content == MOCK_TEXT
    # A fresh call id per request.
    again = client.chat.completions.with_raw_response.create(model="gpt-mock", messages=MESSAGES)
    assert again.headers.get("x-litellm-call-id") not in (None, call_id)


def test_stream_chunks_concatenate_to_the_text_without_usage(client: openai.OpenAI):
    stream = client.chat.completions.create(model="gpt-mock", messages=MESSAGES, stream=True)
    chunks = list(stream)
    assert len(chunks) >= MOCK_STREAM_CHUNKS + 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert all(c.model == "gpt-mock" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    # The gateway asks the provider for usage (as LiteLLM does) but must not pass it on to a
    # client that did not ask for it.
    assert all(c.usage is None for c in chunks)


def test_stream_with_include_usage_ends_with_usage_chunk(client: openai.OpenAI, upstream):
    stream = client.chat.completions.create(
        model="gpt-mock",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == 10
    assert last.usage.completion_tokens == MOCK_STREAM_CHUNKS
    assert last.model == "gpt-mock"
    assert all(c.usage is None for c in chunks[:-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    (req,) = upstream.requests()
    body = json.loads(req["body"])
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_streaming_response_headers(client: openai.OpenAI):
    with client.chat.completions.with_streaming_response.create(
        model="gpt-mock", messages=MESSAGES, stream=True
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers.get("x-litellm-call-id")
        assert resp.headers.get("x-litellm-model-group") == "gpt-mock"
        text = "".join(
            c.choices[0].delta.content or "" for c in resp.parse() if c.choices
        )
    assert text == MOCK_TEXT


def test_open_gateway_accepts_any_key(open_client: openai.OpenAI):
    resp = open_client.chat.completions.create(model="gpt-mock", messages=MESSAGES)
    assert resp.model == "gpt-mock"
    assert resp.choices[0].message.content == MOCK_TEXT


def test_a_parameter_the_provider_lacks_is_refused_or_dropped_as_litellm(client, upstream):
    """Mistral's parameter table: presence_penalty refused with LiteLLM's error, dropped on
    request; seed sent as random_seed, "required" tool choice as "any"; LiteLLM's own keys
    (drop_params, metadata) never reach the provider."""
    messages = [{"role": "user", "content": "Hello"}]
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="mistral-mock", messages=messages, presence_penalty=0.5)
    assert raised.value.body["message"].startswith(
        "litellm.UnsupportedParamsError: mistral does not support parameters: ['presence_penalty'], "
        "for model=mistral-large-latest.")
    assert upstream.requests() == []
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    completion = client.chat.completions.create(
        model="mistral-mock", messages=messages, presence_penalty=0.5, seed=3, tools=[tool],
        tool_choice="required", metadata={"team": "a"}, extra_body={"drop_params": True},
    )
    assert completion.model == "mistral-mock"
    body = json.loads(upstream.requests()[-1]["body"])
    assert body["model"] == "mistral-large-latest"
    assert body["random_seed"] == 3 and body["tool_choice"] == "any"
    for gone in ("presence_penalty", "seed", "drop_params", "metadata"):
        assert gone not in body, gone
