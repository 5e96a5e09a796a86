"""The official openai SDK against chat completions, streams and embeddings routed to Ollama's
native API (the mock speaks `/api/chat`, `/api/generate` and `/api/embed`, streams as NDJSON):
the translated answers parse into the SDK's types, the requests carry Ollama's shapes, and
Ollama's errors come back with the status LiteLLM gives them."""

from __future__ import annotations

import json

import openai
import pytest

from support import MOCK_TEXT, OLLAMA_KEY


def test_chat_through_ollama_chat_goes_to_api_chat(client, upstream):
    completion = client.chat.completions.create(
        model="ollama-chat",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
        max_tokens=64,
        temperature=0.2,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "ollama-chat"
    assert completion.choices[0].message.content == MOCK_TEXT
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (10, 6)
    sent = upstream.requests()[-1]
    assert sent["path"] == "/api/chat"
    assert sent["headers"]["authorization"] == f"Bearer {OLLAMA_KEY}"
    body = json.loads(sent["body"])
    assert body["model"] == "llama3.2"
    assert body["stream"] is False
    assert body["options"] == {"num_predict": 64, "temperature": 0.2}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_an_ollama_ndjson_stream_reads_as_chat_chunks(client, upstream):
    stream = client.chat.completions.create(
        model="ollama-chat",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert upstream.requests()[-1]["path"] == "/api/chat"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 6, 16)


def test_the_sdk_stream_helper_accumulates_an_api_generate_stream(client, upstream):
    with client.chat.completions.stream(
        model="ollama-gen", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == MOCK_TEXT
    sent = upstream.requests()[-1]
    assert sent["path"] == "/api/generate"
    assert json.loads(sent["body"])["prompt"] == "### User:\nHello\n\n"


def test_a_tool_call_from_api_chat_parses_into_the_sdk_types(client, upstream):
    tools = [{"type": "function", "function": {"name": "Bash", "parameters": {
        "type": "object", "properties": {"command": {"type": "string"}}}}}]
    completion = client.chat.completions.create(
        model="ollama-chat",
        messages=[{"role": "user", "content": 'run [[tool:Bash {"command": "ls"}]]'}],
        tools=tools,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "Bash"
    assert json.loads(call.function.arguments) == {"command": "ls"}
    assert json.loads(upstream.requests()[-1]["body"])["tools"] == tools


def test_embeddings_through_api_embed(client, upstream):
    # The SDK sends encoding_format unless told not to, which LiteLLM refuses for Ollama (and
    # corelane with it); a body without it goes through.
    result = client.embeddings.create(
        model="ollama-embed", input=["first text", "second text"], dimensions=8,
        extra_body={"encoding_format": None},
    )
    assert result.model == "ollama-embed"
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) == 8 for item in result.data)
    assert result.usage.prompt_tokens == 10
    sent = upstream.requests()[-1]
    assert sent["path"] == "/api/embed"
    assert "authorization" not in sent["headers"]
    assert json.loads(sent["body"]) == {
        "model": "nomic-embed-text", "input": ["first text", "second text"], "dimensions": 8}


def test_the_sdks_encoding_format_is_litellms_unsupported_params_error(client, upstream):
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="ollama-embed", input="text")
    assert raised.value.body["message"] == (
        "litellm.UnsupportedParamsError: Setting {'encoding_format': 'base64'} is not supported by "
        "ollama. To drop it from the call, set `litellm.drop_params = True`.")
    assert upstream.requests() == []


def test_an_ollama_404_is_a_not_found_error(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(
            model="ollama-404", messages=[{"role": "user", "content": "Hello"}]
        )
    assert raised.value.status_code == 404
    assert raised.value.body["message"] == (
        'litellm.NotFoundError: Ollama_chatException - {"error":"mock error 404"}')


def test_a_parameter_ollama_lacks_is_litellms_unsupported_params_error(client, upstream):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="ollama-chat", messages=[{"role": "user", "content": "Hello"}], presence_penalty=0.5
        )
    assert raised.value.body["message"].startswith(
        "litellm.UnsupportedParamsError: ollama_chat does not support parameters: ['presence_penalty']"
    )
    assert upstream.requests() == []


def test_completions_through_api_generate_and_api_chat(client, upstream):
    completion = client.completions.create(model="ollama-gen", prompt="Say hi", max_tokens=5)
    assert completion.object == "text_completion"
    assert completion.choices[0].text == MOCK_TEXT
    sent = upstream.requests()[-1]
    assert sent["path"] == "/api/generate"
    assert json.loads(sent["body"])["prompt"] == "Say hi"

    stream = client.completions.create(model="ollama-chat", prompt="Say hi", stream=True)
    text = "".join(c.choices[0].text or "" for c in stream)
    assert text == MOCK_TEXT
    sent = upstream.requests()[-1]
    assert sent["path"] == "/api/chat"
    assert json.loads(sent["body"])["messages"] == [{"role": "user", "content": "Say hi", "images": []}]
