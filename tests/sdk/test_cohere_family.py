"""The official openai SDK against chat completions and embeddings routed to Cohere's v2 API
(the mock speaks /v2/chat, its named SSE events and /v2/embed), and plain HTTP against the
rerank route (/v2/rerank): the translated answers parse into the SDK's types, usage included;
Cohere's errors come back in OpenAI's shape with the status LiteLLM gives them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest

from support import COHERE_KEY, MASTER_KEY, MOCK_TEXT


def test_chat_through_a_cohere_deployment_parses_as_a_chat_completion(client, upstream):
    completion = client.chat.completions.create(
        model="cohere-chat",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
        max_tokens=64,
        temperature=0.2,
        top_p=0.5,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "cohere-chat"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == MOCK_TEXT
    assert choice.finish_reason == "stop"
    assert completion.usage.prompt_tokens == 70
    assert completion.usage.completion_tokens == 6
    assert completion.usage.total_tokens == 76
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v2/chat"
    assert sent["headers"]["authorization"] == f"Bearer {COHERE_KEY}"
    assert MASTER_KEY not in str(sent["headers"])
    body = json.loads(sent["body"])
    assert body["model"] == "command-r-plus"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]
    assert (body["max_tokens"], body["temperature"], body["p"], body["stream"]) == (64, 0.2, 0.5, False)


def test_a_stream_from_a_cohere_deployment_reads_as_chat_chunks(client, upstream):
    stream = client.chat.completions.create(
        model="cohere-chat",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert upstream.requests()[-1]["path"] == "/v2/chat"
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.model == "cohere-chat" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 70


def test_tool_calls_from_cohere_read_as_the_sdks_tool_calls(client, upstream):
    tools = [{"type": "function", "function": {"name": "get_weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    messages = [{"role": "user", "content": 'Weather? [[tool:get_weather {"city": "Paris"}]]'}]
    completion = client.chat.completions.create(model="cohere-chat", messages=messages, tools=tools)
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    stream = client.chat.completions.create(model="cohere-chat", messages=messages, tools=tools, stream=True)
    chunks = list(stream)
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].function.name == "get_weather"
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_embeddings_through_a_cohere_deployment(client, upstream):
    result = client.embeddings.create(model="cohere-embed", input=["hello", "world"], dimensions=4)
    assert result.model == "cohere-embed"
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) == 4 for d in result.data)
    assert result.usage.prompt_tokens == 4
    body = json.loads(upstream.requests()[-1]["body"])
    assert body["texts"] == ["hello", "world"]
    assert body["input_type"] == "search_document"
    # The SDK asks for base64 by default when numpy is absent; ask for floats as a user does.
    assert body.get("embedding_types") in (None, ["float"], ["base64"])


def _post(gateway, path: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        gateway.url + path, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", "authorization": f"Bearer {MASTER_KEY}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("route", ["/rerank", "/v1/rerank", "/v2/rerank"])
def test_rerank_through_a_cohere_deployment(gateway, upstream, route):
    status, answer = _post(gateway, route, {
        "model": "cohere-rerank", "query": "capital of France?",
        "documents": ["Paris is the capital.", "Berlin is a city."], "top_n": 1, "return_documents": True,
    })
    assert status == 200, answer
    assert answer == {"id": "mock-rerank-1",
                      "results": [{"index": 0, "relevance_score": 1.0, "document": {"text": "Paris is the capital."}}],
                      "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}}
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v2/rerank"
    assert json.loads(sent["body"])["model"] == "rerank-v3.5"


def test_rerank_needs_the_gateway_key(gateway, upstream):
    req = urllib.request.Request(
        gateway.url + "/v1/rerank", method="POST", headers={"content-type": "application/json"},
        data=json.dumps({"model": "cohere-rerank", "query": "q", "documents": ["a"]}).encode(),
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=15)
    assert caught.value.code == 401
    assert upstream.requests() == []


def test_rerank_requires_a_query(gateway, upstream):
    status, answer = _post(gateway, "/v1/rerank", {"model": "cohere-rerank", "documents": ["a"]})
    assert status == 400
    assert answer["error"]["message"] == "/rerank: Missing required parameter: 'query'."
    assert upstream.requests() == []


def test_a_cohere_error_comes_back_in_openais_shape(client, upstream):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="cohere-429", messages=[{"role": "user", "content": "Hi"}])
    message = caught.value.body["message"]
    assert message.startswith("litellm.RateLimitError: Cohere_chatException - "), message
    assert caught.value.status_code == 429
