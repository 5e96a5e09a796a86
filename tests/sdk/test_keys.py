"""Virtual keys through the official SDKs: a key made with the master key on /key/generate
is used as the SDK's api_key; LiteLLM's refusals reach the SDK as its typed exceptions."""

from __future__ import annotations

import json
import urllib.request

import anthropic
import openai
import pytest

from support import CLIENT_OPTS, MASTER_KEY

MESSAGES = [{"role": "user", "content": "hi"}]


def admin(gateway, path: str, fields: dict) -> dict:
    """A management route called with the master key; its JSON answer (a 200)."""
    req = urllib.request.Request(
        gateway.url + path,
        data=json.dumps(fields).encode(),
        headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=15) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def generate(gateway, **fields) -> str:
    body = admin(gateway, "/key/generate", fields)
    assert body["key"].startswith("sk-") and len(body["key"]) == 25
    return body["key"]


def client(gateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=gateway.url + "/v1", **CLIENT_OPTS)


def test_a_virtual_key_works_with_the_openai_and_anthropic_sdks(gateway, upstream):
    key = generate(gateway, models=["gpt-mock", "claude-mock"], key_alias="sdk-works")
    with client(gateway, key) as c:
        r = c.chat.completions.with_raw_response.create(model="gpt-mock", messages=MESSAGES)
        assert r.parse().choices[0].message.content
        assert float(r.headers["x-litellm-response-cost"]) > 0
        stream = c.chat.completions.create(model="gpt-mock", messages=MESSAGES, stream=True)
        assert "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
    with anthropic.Anthropic(api_key=key, base_url=gateway.url, max_retries=0) as a:
        m = a.messages.create(model="claude-mock", max_tokens=16, messages=MESSAGES)
        assert m.content


def test_refusals_are_the_sdks_typed_errors(gateway):
    with client(gateway, "sk-not-a-known-key-000") as c:
        with pytest.raises(openai.AuthenticationError) as info:
            c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        assert info.value.type == "token_not_found_in_db"

    key = generate(gateway, models=["gpt-mock"], rpm_limit=2, max_budget=100.0)
    with client(gateway, key) as c:
        with pytest.raises(openai.PermissionDeniedError) as info:
            c.chat.completions.create(model="emb-mock", messages=MESSAGES)
        assert info.value.type == "key_model_access_denied"
        c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError) as info:
            c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        assert info.value.type == "rate_limit_error"
        assert info.value.response.headers["retry-after"] == "60"
        assert "Limit type: requests. Current limit: 2" in info.value.message

    tiny = generate(gateway, max_budget=1e-12)
    with client(gateway, tiny) as c:
        c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        with pytest.raises(openai.UnprocessableEntityError) as info:
            c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        assert info.value.type == "budget_exceeded"
        assert "Budget has been exceeded!" in info.value.message


def test_a_blocked_key_is_refused_until_unblocked(gateway):
    key = generate(gateway)
    assert admin(gateway, "/key/block", {"key": key})["blocked"] is True
    with client(gateway, key) as c:
        with pytest.raises(openai.AuthenticationError) as info:
            c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
        assert "Key is blocked" in info.value.message
        admin(gateway, "/key/unblock", {"key": key})
        c.chat.completions.create(model="gpt-mock", messages=MESSAGES)
