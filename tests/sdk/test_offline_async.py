"""mock_response deployments (no provider at all) and the async client's streams."""

from __future__ import annotations

import asyncio

import openai

from support import CLIENT_OPTS, MASTER_KEY, MOCK_STREAM_CHUNKS, MOCK_TEXT, OFFLINE_TEXT

MESSAGES = [{"role": "user", "content": "hi"}]


def test_mock_response_answers_without_upstream(client: openai.OpenAI, upstream):
    raw = client.chat.completions.with_raw_response.create(model="offline-gpt", messages=MESSAGES)
    resp = raw.parse()
    assert resp.model == "offline-gpt"
    assert resp.choices[0].message.content == OFFLINE_TEXT
    assert resp.usage is not None and resp.usage.total_tokens > 0
    assert raw.headers.get("x-litellm-model-group") == "offline-gpt"
    assert raw.headers.get("x-litellm-call-id")
    assert upstream.requests() == []


def test_mock_response_stream(client: openai.OpenAI, upstream):
    for include_usage in (False, True):
        kwargs = {"stream_options": {"include_usage": True}} if include_usage else {}
        chunks = list(
            client.chat.completions.create(model="offline-gpt", messages=MESSAGES, stream=True, **kwargs)
        )
        assert all(c.model == "offline-gpt" for c in chunks)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == OFFLINE_TEXT
        if include_usage:
            assert chunks[-1].choices == [] and chunks[-1].usage is not None
        else:
            assert all(c.usage is None for c in chunks)
    assert upstream.requests() == []


def test_mock_response_completion(client: openai.OpenAI, upstream):
    resp = client.completions.create(model="offline-gpt", prompt="hi")
    assert resp.model == "offline-gpt"
    assert resp.choices[0].text == OFFLINE_TEXT
    assert upstream.requests() == []


def test_async_client_streams_concurrently(gateway, upstream):
    async def one(c: openai.AsyncOpenAI, include_usage: bool) -> tuple[str, list]:
        kwargs = {"stream_options": {"include_usage": True}} if include_usage else {}
        stream = await c.chat.completions.create(
            model="gpt-mock", messages=MESSAGES, stream=True, **kwargs
        )
        chunks = [chunk async for chunk in stream]
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
        return text, chunks

    async def main() -> list[tuple[str, list]]:
        async with openai.AsyncOpenAI(
            api_key=MASTER_KEY, base_url=gateway.url + "/v1", **CLIENT_OPTS
        ) as c:
            return await asyncio.gather(*(one(c, i % 2 == 0) for i in range(6)))

    results = asyncio.run(main())
    for i, (text, chunks) in enumerate(results):
        assert text == MOCK_TEXT
        assert all(ch.model == "gpt-mock" for ch in chunks)
        if i % 2 == 0:
            assert chunks[-1].usage is not None
            assert chunks[-1].usage.completion_tokens == MOCK_STREAM_CHUNKS
        else:
            assert all(ch.usage is None for ch in chunks)
    assert len(upstream.requests()) == 6


def test_async_client_error(gateway):
    async def main() -> None:
        async with openai.AsyncOpenAI(
            api_key=MASTER_KEY, base_url=gateway.url + "/v1", **CLIENT_OPTS
        ) as c:
            try:
                await c.chat.completions.create(model="upstream-429", messages=MESSAGES, stream=True)
            except openai.RateLimitError as e:
                assert e.status_code == 429
            else:
                raise AssertionError("expected RateLimitError")

    asyncio.run(main())
