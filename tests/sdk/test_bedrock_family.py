"""The official openai SDK against chat completions routed to a Bedrock-format provider (the
mock speaks Converse and ConverseStream, the stream in AWS's binary event-stream framing):
the translated answers parse into the SDK's types, the requests are SigV4-signed, and
Bedrock's errors come back with the status LiteLLM gives them. The official anthropic SDK
against /v1/messages to Claude on Bedrock (the Invoke API in Anthropic's format, its stream
base64 events in event-stream chunks) and to another Bedrock model (through Converse). The
openai SDK's embeddings through Titan (a signed request per input) and Cohere on Bedrock."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from support import MOCK_TEXT

PATH = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0"


def test_chat_through_a_bedrock_deployment_is_signed_and_translated(client, upstream):
    completion = client.chat.completions.create(
        model="bedrock-claude",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
        max_tokens=64,
        temperature=0.2,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "bedrock-claude"
    assert completion.choices[0].message.content == MOCK_TEXT
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (10, 6)
    sent = upstream.requests()[-1]
    assert sent["path"] == f"{PATH}/converse"
    auth = sent["headers"]["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" in auth
    assert sent["headers"]["x-amz-date"].endswith("Z")
    body = json.loads(sent["body"])
    assert body["system"] == [{"text": "Be brief."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert body["inferenceConfig"] == {"temperature": 0.2, "maxTokens": 64}


def test_a_bedrock_event_stream_reads_as_chat_chunks(client, upstream):
    stream = client.chat.completions.create(
        model="bedrock-claude",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert upstream.requests()[-1]["path"] == f"{PATH}/converse-stream"
    assert {c.id for c in chunks} == {chunks[0].id}
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MOCK_TEXT
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 6, 16)


def test_the_sdk_stream_helper_accumulates_a_bedrock_stream(client):
    with client.chat.completions.stream(
        model="bedrock-claude", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == MOCK_TEXT


def test_a_bedrock_rate_limit_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(
            model="bedrock-429", messages=[{"role": "user", "content": "Hello"}]
        )
    assert raised.value.status_code == 429
    assert raised.value.body["message"].startswith("litellm.RateLimitError: BedrockException - ")


def test_a_parameter_bedrock_lacks_is_litellms_unsupported_params_error(client, upstream):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="bedrock-claude", messages=[{"role": "user", "content": "Hello"}], seed=7
        )
    assert raised.value.body["message"].startswith(
        "litellm.UnsupportedParamsError: bedrock does not support parameters: ['seed']"
    )
    assert upstream.requests() == []


def test_messages_to_claude_on_bedrock_go_through_invoke(claude, upstream):
    message = claude.messages.create(
        model="bedrock-claude",
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello"}],
        extra_headers={"anthropic-beta": "context-1m-2025-08-07,claude-code-20250219"},
    )
    assert message.type == "message"
    assert message.model == "bedrock-claude"
    assert message.content[0].text == MOCK_TEXT
    assert message.stop_reason == "end_turn"
    sent = upstream.requests()[-1]
    assert sent["path"] == "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke"
    assert sent["headers"]["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert sent["headers"]["anthropic-beta"] == "context-1m-2025-08-07"
    body = json.loads(sent["body"])
    assert "model" not in body and "stream" not in body
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert body["anthropic_beta"] == ["context-1m-2025-08-07"]
    assert body["system"] == [{"type": "text", "text": "Be brief."}]


def test_a_messages_stream_from_claude_on_bedrock_reads_event_by_event(claude, upstream):
    with claude.messages.stream(
        model="bedrock-claude",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hello"}],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert upstream.requests()[-1]["path"].endswith("/invoke-with-response-stream")
    assert kinds[0] == "message_start" and "message_stop" in kinds
    assert final.content[0].text == MOCK_TEXT
    assert final.model == "bedrock-claude"
    # The invocation metrics of the last chunk are the stream's usage.
    assert (final.usage.input_tokens, final.usage.output_tokens) == (10, 6)


def test_messages_to_another_bedrock_model_go_through_converse(claude, upstream):
    message = claude.messages.create(
        model="bedrock-nova",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert message.content[0].text == MOCK_TEXT
    assert message.model == "bedrock-nova"
    assert upstream.requests()[-1]["path"] == "/model/amazon.nova-pro-v1%3A0/converse"
    with claude.messages.stream(
        model="bedrock-nova", max_tokens=64, messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == MOCK_TEXT
    assert upstream.requests()[-1]["path"] == "/model/amazon.nova-pro-v1%3A0/converse-stream"


def test_a_bedrock_error_on_messages_is_anthropic_s_error_shape(claude):
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude.messages.create(
            model="bedrock-429", max_tokens=8, messages=[{"role": "user", "content": "Hello"}]
        )
    assert caught.value.status_code == 429
    assert caught.value.body["type"] == "error"


def test_titan_embeddings_read_as_openai_s(client, upstream):
    before = len(upstream.requests())
    # The SDK asks base64 unless told: Titan v2 would then answer binary vectors (as with LiteLLM).
    result = client.embeddings.create(
        model="bedrock-titan", input=["hello there", "bye"], dimensions=8, encoding_format="float"
    )
    assert result.model == "bedrock-titan"
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) == 8 for d in result.data)
    assert result.usage.prompt_tokens == 3
    sent = upstream.requests()[before:]
    assert [json.loads(r["body"]) for r in sent] == [
        {"inputText": "hello there", "dimensions": 8, "embeddingTypes": ["float"]},
        {"inputText": "bye", "dimensions": 8, "embeddingTypes": ["float"]},
    ]
    assert all(r["path"] == "/model/amazon.titan-embed-text-v2%3A0/invoke" for r in sent)


def test_cohere_embeddings_on_bedrock_take_one_request(client, upstream):
    result = client.embeddings.create(model="bedrock-cohere-embed", input=["a", "b", "c"], encoding_format="float")
    assert len(result.data) == 3
    sent = upstream.requests()[-1]
    assert sent["path"] == "/model/cohere.embed-multilingual-v3/invoke"
    assert json.loads(sent["body"]) == {
        "input_type": "search_document", "texts": ["a", "b", "c"], "embedding_types": ["float"]}
    assert result.usage.prompt_tokens == 3
