"""The official openai SDK against chat completions and embeddings routed to a Gemini-format
provider (the mock speaks generateContent, streamGenerateContent?alt=sse and
batchEmbedContents): the translated answers parse into the SDK's types as a provider's own
do, usage included; Gemini's errors come back in OpenAI's shape with the status LiteLLM
gives them."""

from __future__ import annotations

import json

import openai
import pytest

from support import GEMINI_KEY, MASTER_KEY, MOCK_TEXT, VERTEX_LOCATION, VERTEX_PROJECT


def test_chat_through_a_gemini_deployment_parses_as_a_chat_completion(client, upstream):
    completion = client.chat.completions.create(
        model="gemini-mock",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
        max_tokens=64,
        temperature=0.2,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gemini-mock"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == MOCK_TEXT
    assert choice.finish_reason == "stop"
    assert completion.usage.prompt_tokens == 10
    assert completion.usage.completion_tokens == 6
    assert completion.usage.total_tokens == 16
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent["headers"]["x-goog-api-key"] == GEMINI_KEY
    assert MASTER_KEY not in str(sent["headers"])
    body = json.loads(sent["body"])
    assert body["system_instruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hello"}]}]
    assert body["generationConfig"] == {"temperature": 0.2, "max_output_tokens": 64}


def test_a_stream_from_a_gemini_deployment_reads_as_chat_chunks(client, upstream):
    stream = client.chat.completions.create(
        model="gemini-mock",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert (
        upstream.requests()[-1]["path"]
        == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.model == "gemini-mock" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 6, 16)


def test_the_sdk_stream_helper_accumulates_a_gemini_stream(client):
    with client.chat.completions.stream(
        model="gemini-mock", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == MOCK_TEXT
    assert final.choices[0].finish_reason == "stop"


def test_tools_go_to_gemini_as_function_declarations(client, upstream):
    client.chat.completions.create(
        model="gemini-mock",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                        "additionalProperties": False,
                    },
                },
            }
        ],
        tool_choice="required",
    )
    body = json.loads(upstream.requests()[-1]["body"])
    declaration = body["tools"][0]["function_declarations"][0]
    assert declaration["name"] == "get_weather"
    assert declaration["parameters"]["properties"] == {"city": {"type": "string"}}
    assert "additionalProperties" not in declaration["parameters"]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


def test_embeddings_through_gemini_batch_embed_contents(client, upstream):
    result = client.embeddings.create(
        model="gemini-embed", input=["first text", "second text"], dimensions=8
    )
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) == 8 for item in result.data)
    assert result.usage.prompt_tokens > 0
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v1beta/models/text-embedding-004:batchEmbedContents"
    requests = json.loads(sent["body"])["requests"]
    assert [r["content"]["parts"][0]["text"] for r in requests] == ["first text", "second text"]
    assert all(r["model"] == "models/text-embedding-004" for r in requests)
    assert all(r["outputDimensionality"] == 8 for r in requests)


def test_a_gemini_rate_limit_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(
            model="gemini-429", messages=[{"role": "user", "content": "Hello"}]
        )
    assert raised.value.status_code == 429
    message = raised.value.body["message"]
    assert "GeminiException" in message or "VertexAIException" in message
    assert "mock error 429" in message


def test_a_text_completion_through_a_gemini_deployment(client, upstream):
    """/v1/completions to Gemini: the prompt as the user turn of generateContent, the answer
    back as a text completion, as LiteLLM's text_completion goes through chat."""
    resp = client.completions.create(model="gemini-mock", prompt="Hello")
    assert resp.object == "text_completion"
    assert resp.model == "gemini-mock"
    assert resp.choices[0].text == MOCK_TEXT
    (req,) = upstream.requests()
    assert req["path"].split("?")[0].endswith(":generateContent")
    assert json.loads(req["body"])["contents"] == [{"role": "user", "parts": [{"text": "Hello"}]}]


def test_an_unserved_endpoint_of_a_gemini_deployment_is_a_clear_error(client):
    with pytest.raises(openai.APIStatusError) as raised:
        client.post("/rerank", body={"model": "gemini-mock", "query": "q", "documents": ["d"]},
                    cast_to=object)
    assert 400 <= raised.value.status_code < 500


def test_messages_through_a_gemini_deployment(claude, upstream):
    """The anthropic SDK's /v1/messages to a Gemini deployment: Messages → chat →
    generateContent, and the answer back as an Anthropic message."""
    message = claude.messages.create(
        model="gemini-mock",
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert message.type == "message"
    assert message.model == "gemini-mock"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == MOCK_TEXT
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (10, 6)
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
    body = json.loads(sent["body"])
    assert body["system_instruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"max_output_tokens": 100}


def test_a_messages_stream_from_a_gemini_deployment(claude, upstream):
    with claude.messages.stream(
        model="gemini-mock",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hello"}],
    ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert (
        upstream.requests()[-1]["path"]
        == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert events[0] == "message_start"
    assert events[-1] == "message_stop"
    assert final.content[0].text == MOCK_TEXT
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 6


def test_chat_and_messages_through_vertex_ai_with_a_minted_token(client, claude, upstream):
    """A Vertex AI deployment: the project comes from its service account file, the path from
    the project and location, and the bearer token from the mock's token endpoint."""
    completion = client.chat.completions.create(
        model="vertex-gemini", messages=[{"role": "user", "content": "Hello"}]
    )
    assert completion.choices[0].message.content == MOCK_TEXT
    with client.chat.completions.stream(
        model="vertex-gemini", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        assert stream.get_final_completion().choices[0].message.content == MOCK_TEXT
    message = claude.messages.create(
        model="vertex-gemini", max_tokens=50, messages=[{"role": "user", "content": "Hello"}]
    )
    assert message.content[0].text == MOCK_TEXT
    sent = [r for r in upstream.requests() if r["path"] != "/token"]
    prefix = (
        f"/v1/projects/{VERTEX_PROJECT}/locations/{VERTEX_LOCATION}"
        "/publishers/google/models/gemini-2.5-flash"
    )
    assert [r["path"] for r in sent] == [
        f"{prefix}:generateContent",
        f"{prefix}:streamGenerateContent?alt=sse",
        f"{prefix}:generateContent",
    ]
    assert all(r["headers"]["authorization"] == "Bearer mock-access-token" for r in sent)


def test_claude_on_vertex_ai_through_raw_predictions(client, claude, upstream):
    """Claude on Vertex AI: Anthropic's format to `rawPredict` / `streamRawPredict`, the model
    in the path (its `@` version kept), Vertex's `anthropic_version` in the body."""
    before = len(upstream.requests())
    completion = client.chat.completions.create(
        model="vertex-claude", messages=[{"role": "user", "content": "Hello"}], max_tokens=32
    )
    assert completion.choices[0].message.content == MOCK_TEXT
    assert completion.model == "vertex-claude"
    with claude.messages.stream(
        model="vertex-claude", max_tokens=50, messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].text == MOCK_TEXT and final.model == "vertex-claude"
    sent = [r for r in upstream.requests()[before:] if r["path"] != "/token"]
    prefix = (
        f"/v1/projects/{VERTEX_PROJECT}/locations/{VERTEX_LOCATION}"
        "/publishers/anthropic/models/claude-sonnet-4-5@20250929"
    )
    assert [r["path"] for r in sent] == [f"{prefix}:rawPredict", f"{prefix}:streamRawPredict?alt=sse"]
    assert all(r["headers"]["authorization"] == "Bearer mock-access-token" for r in sent)
    bodies = [json.loads(r["body"]) for r in sent]
    assert all(b["anthropic_version"] == "vertex-2023-10-16" and "model" not in b for b in bodies)
    assert bodies[1]["stream"] is True
