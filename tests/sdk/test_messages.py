"""The official anthropic SDK against /v1/messages, routed to an Anthropic-format deployment
(passed through) and to an OpenAI-format one (translated to chat completions and back): plain
answers, streams, a tool-use round trip (the mock's `[[tool:NAME {json}]]` script), and errors
as the SDK's own exception classes."""

from __future__ import annotations

import json

import anthropic
import pytest

from support import MOCK_TEXT, OFFLINE_TEXT

WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


#: An Anthropic-format deployment and an OpenAI-format one.
MODELS = ["claude-mock", "gpt-mock"]


@pytest.mark.parametrize("model", MODELS)
def test_a_message(claude, upstream, model):
    message = claude.messages.create(
        model=model,
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert message.type == "message"
    assert message.model == model
    assert message.content[0].text == MOCK_TEXT
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    sent = upstream.requests()[-1]
    want = "/v1/messages" if model == "claude-mock" else "/v1/chat/completions"
    assert sent["path"] == want
    assert "sk-corelane-sdk-test" not in json.dumps(sent["headers"])


@pytest.mark.parametrize("model", MODELS)
def test_a_stream_accumulates_into_the_same_message(claude, model):
    with claude.messages.stream(
        model=model,
        max_tokens=64,
        messages=[{"role": "user", "content": "Hello"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == MOCK_TEXT
    assert final.model == model
    assert final.content[0].text == MOCK_TEXT
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_round_trip(claude, model, stream):
    ask = [{"role": "user", "content": 'Weather? [[tool:get_weather {"city": "Paris"}]]'}]
    if stream:
        with claude.messages.stream(
            model=model, max_tokens=64, tools=[WEATHER], messages=ask
        ) as s:
            call = s.get_final_message()
    else:
        call = claude.messages.create(model=model, max_tokens=64, tools=[WEATHER], messages=ask)
    assert call.stop_reason == "tool_use"
    use = call.content[0]
    assert use.type == "tool_use" and use.name == "get_weather"
    assert use.input == {"city": "Paris"}
    answer = claude.messages.create(
        model=model,
        max_tokens=64,
        tools=[WEATHER],
        messages=ask
        + [
            {"role": "assistant", "content": [use.model_dump()]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C"}],
            },
        ],
    )
    assert answer.content[0].text == "tool result: 18C"


def test_mock_response_answers_as_a_message(claude):
    message = claude.messages.create(
        model="offline-gpt", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.content[0].text == OFFLINE_TEXT


def test_errors_are_the_sdks_own_classes(claude):
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.create(
            model="no-such-model", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )
    assert "Invalid model name" in raised.value.message
    with pytest.raises(anthropic.RateLimitError) as raised:
        claude.messages.create(
            model="claude-429", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )
    assert "AnthropicException" in raised.value.message
    with pytest.raises(anthropic.RateLimitError) as raised:
        claude.messages.create(
            model="upstream-429", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )
    assert "OpenAIException" in raised.value.message


@pytest.mark.parametrize(
    ("group", "path"),
    [
        ("bedrock-claude", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens"),
        ("vertex-claude", "/publishers/anthropic/models/count-tokens:rawPredict"),
    ],
)
def test_count_tokens_asks_the_provider_s_counting_api(claude: anthropic.Anthropic, upstream, group: str, path: str):
    # Bedrock's CountTokens and Vertex AI's count-tokens for Claude, as LiteLLM asks them.
    counted = claude.messages.count_tokens(
        model=group, system="Be brief", messages=[{"role": "user", "content": "Say hello"}]
    )
    assert counted.input_tokens > 0
    calls = [r for r in upstream.requests() if r["path"] != "/token"]
    assert calls[-1]["path"].endswith(path), calls[-1]["path"]
