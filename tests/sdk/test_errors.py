"""Errors reach the SDK as its typed exceptions, with LiteLLM's status codes and error body."""

from __future__ import annotations

import time

import openai
import pytest

from support import (
    CLIENT_OPTS,
    MASTER_KEY,
    MOCK_TEXT,
    SLOWSTREAM_MS,
    TIMEOUT_DELAY_MS,
    TIMEOUT_SECONDS,
)

MESSAGES = [{"role": "user", "content": "hi"}]

#: The SDK's header-removal marker: exported as openai.Omit since 2.x, internal before.
OMIT = getattr(openai, "Omit", None) or openai._types.Omit


def test_wrong_key_is_authentication_error(gateway, upstream):
    with openai.OpenAI(api_key="sk-wrong-key-0000", base_url=gateway.url + "/v1", **CLIENT_OPTS) as c:
        with pytest.raises(openai.AuthenticationError) as info:
            c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
    err = info.value
    assert err.status_code == 401
    # An sk- key the store does not know: LiteLLM's answer with a database.
    assert err.type == "token_not_found_in_db"
    assert "Authentication Error" in err.message
    # LiteLLM shows the key abbreviated, never whole.
    assert "sk-wrong-key-0000" not in str(err.body)
    assert upstream.requests() == []


def test_wrong_key_on_models_list(gateway):
    with openai.OpenAI(api_key="sk-wrong", base_url=gateway.url + "/v1", **CLIENT_OPTS) as c:
        with pytest.raises(openai.AuthenticationError):
            c.models.list()


def test_key_in_x_litellm_api_key_header_only(gateway):
    # LiteLLM accepts the proxy key in x-litellm-api-key (for clients whose Authorization
    # header goes elsewhere); the SDK's own bearer header is removed here.
    with openai.OpenAI(
        api_key="unused",
        base_url=gateway.url + "/v1",
        **CLIENT_OPTS,
        default_headers={"x-litellm-api-key": MASTER_KEY},
    ) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="gpt-mock",
            messages=MESSAGES,
            extra_headers={"Authorization": OMIT()},
        )
        assert "authorization" not in raw.http_request.headers
        assert raw.parse().model == "gpt-mock"


def test_unknown_model_is_bad_request(client: openai.OpenAI, upstream):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    err = info.value
    assert err.status_code == 400
    assert "Invalid model name passed in model=no-such-model" in err.message
    assert upstream.requests() == []


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_upstream_429_is_rate_limit_error(client: openai.OpenAI, upstream, stream):
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="upstream-429", messages=MESSAGES, stream=stream)
    assert info.value.status_code == 429
    # LiteLLM keeps the provider's message inside its own wording.
    assert "mock error 429" in info.value.message
    assert len(upstream.requests()) >= 1


def test_upstream_500_is_internal_server_error(client: openai.OpenAI, upstream):
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="upstream-500", messages=MESSAGES)
    assert info.value.status_code == 500
    assert "mock error 500" in info.value.message
    assert len(upstream.requests()) >= 1


def test_upstream_timeout_is_408(client: openai.OpenAI):
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="upstream-timeout", messages=MESSAGES)
    elapsed = time.monotonic() - started
    err = info.value
    assert err.status_code == 408
    assert err.type == "timeout"
    assert "Timeout" in err.message
    # The deployment's timeout ended the wait, not the upstream's eventual answer.
    assert TIMEOUT_SECONDS * 0.9 <= elapsed < TIMEOUT_DELAY_MS / 1000 - 0.5


def test_gateway_stays_healthy_after_errors(client: openai.OpenAI):
    for model in ("upstream-429", "upstream-500", "no-such-model"):
        with pytest.raises(openai.APIStatusError):
            client.chat.completions.create(model=model, messages=MESSAGES)
    assert client.chat.completions.create(model="gpt-mock", messages=MESSAGES).model == "gpt-mock"


def _partial_stream(client: openai.OpenAI, model: str) -> tuple[str, BaseException | None]:
    text, error = "", None
    try:
        for chunk in client.chat.completions.create(model=model, messages=MESSAGES, stream=True):
            assert chunk.model == model
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    except Exception as e:  # noqa: BLE001 - the type is what the test checks
        error = e
    return text, error


def test_truncated_stream_raises_in_the_sdk(client: openai.OpenAI):
    # After the first byte a failure cannot become a status code: the gateway must end the
    # stream with an error event, which the SDK raises as APIError, never a silent cut.
    text, error = _partial_stream(client, "upstream-truncate")
    assert isinstance(error, openai.APIError), f"stream ended without an error: {text!r}"
    # The mock sends half the content events (3 of 6 words) before closing.
    assert text == "Hello from the"
    assert "upstream closed" in error.message


def test_stalled_stream_times_out_with_error_event(client: openai.OpenAI):
    started = time.monotonic()
    text, error = _partial_stream(client, "upstream-slowstream")
    elapsed = time.monotonic() - started
    assert isinstance(error, openai.APIError), f"stream ended without an error: {text!r}"
    # The first event comes at once, the next only after SLOWSTREAM_MS: the idle limit fires.
    assert text == "Hello"
    assert "timed out" in error.message
    assert elapsed < SLOWSTREAM_MS / 1000 * 2


def test_truncated_body_is_not_parsed_as_success(client: openai.OpenAI):
    with pytest.raises(openai.APIError):
        client.chat.completions.create(model="upstream-truncate", messages=MESSAGES)
