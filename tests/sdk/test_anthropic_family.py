"""The official openai SDK against chat completions routed to an Anthropic-format provider
(the mock speaks the Messages API): the translated answer parses into the SDK's types as a
provider's own chat completion does, usage included; a stream's Messages events come back as
chunks the SDK's stream reader accumulates into the same answer."""

from __future__ import annotations



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


def test_a_stream_from_an_anthropic_deployment_reads_as_chat_chunks(client, upstream):
    upstream.reset()
    stream = client.chat.completions.create(
        model="claude-mock",
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert upstream.requests()[-1]["path"] == "/v1/messages"
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.model == "claude-mock" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    whole = client.chat.completions.create(
        model="claude-mock", messages=[{"role": "user", "content": "Hello"}]
    )
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
