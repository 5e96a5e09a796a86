"""The official openai SDK against chat completions routed to an Anthropic-format provider
(the mock speaks the Messages API): the translated answer parses into the SDK's types as a
provider's own chat completion does, usage included; a stream is refused with a clear 400."""

from __future__ import annotations

import openai
import pytest


def test_chat_through_an_anthropic_deployment_parses_as_a_chat_completion(client, upstream):
    upstream.reset()
    completion = client.chat.completions.create(
        model="claude-mock",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
        max_tokens=64,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "claude-mock"
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason == "stop"
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    sent = upstream.requests()[-1]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["anthropic-version"] == "2023-06-01"


def test_a_stream_to_an_anthropic_deployment_is_refused_clearly(client, upstream):
    upstream.reset()
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="claude-mock",
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
        )
    assert "stream" in str(raised.value)
    assert upstream.requests() == []
