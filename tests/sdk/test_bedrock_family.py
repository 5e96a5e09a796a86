"""The official openai SDK against chat completions routed to a Bedrock-format provider (the
mock speaks Converse and ConverseStream, the stream in AWS's binary event-stream framing):
the translated answers parse into the SDK's types, the requests are SigV4-signed, and
Bedrock's errors come back with the status LiteLLM gives them."""

from __future__ import annotations

import json

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
