"""The legacy /completions endpoint and the model list, through the SDK."""

from __future__ import annotations

import json

import openai

from support import MOCK_TEXT, MODEL_GROUPS


def test_legacy_completion(client: openai.OpenAI, upstream):
    resp = client.completions.create(model="gpt-mock", prompt="Say hello", max_tokens=16)
    assert resp.object == "text_completion"
    assert resp.model == "gpt-mock"
    assert resp.choices[0].text == MOCK_TEXT
    assert resp.usage is not None and resp.usage.completion_tokens == 6
    # gpt-4o-mini is one of OpenAI's chat models: LiteLLM (and so corelane) sends its text
    # completions as chat completions, the prompt as the user message.
    (req,) = upstream.requests()
    assert req["path"] == "/v1/chat/completions"
    body = json.loads(req["body"])
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "user", "content": "Say hello"}]
    assert body["max_tokens"] == 16


def test_legacy_completion_stream(client: openai.OpenAI):
    chunks = list(client.completions.create(model="gpt-mock", prompt="Say hello", stream=True))
    assert len(chunks) > 1
    assert all(c.model == "gpt-mock" for c in chunks)
    # Through chat, LiteLLM's chunks leave out a null text (the finish chunk has none).
    assert "".join(c.choices[0].text or "" for c in chunks if c.choices) == MOCK_TEXT
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_models_list_names_every_group(client: openai.OpenAI, open_client: openai.OpenAI):
    for c in (client, open_client):
        models = list(c.models.list())
        assert sorted(m.id for m in models) == sorted(MODEL_GROUPS)
        assert all(m.object == "model" for m in models)


def test_models_retrieve_finds_each_group_and_404s_the_rest(client: openai.OpenAI):
    for name in MODEL_GROUPS:
        model = client.models.retrieve(name)
        assert model.id == name and model.object == "model"
    try:
        client.models.retrieve("no-such-model")
    except openai.NotFoundError as e:
        assert "no-such-model" in str(e)
    else:
        raise AssertionError("an unknown model was found")
