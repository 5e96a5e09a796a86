"""OpenAI's Responses API through the gateway with the official SDK: created whole and
streamed (the SDK's own stream helper reads the events), then read, listed, cancelled and
deleted by the id the gateway issued, as LiteLLM's proxy serves them."""

from __future__ import annotations

import base64
import json

import openai
import pytest

from support import MASTER_KEY, MOCK_STREAM_CHUNKS, MOCK_TEXT, UPSTREAM_KEY

#: The mock's id for every response it creates.
PROVIDER_ID = "resp_0mock1a2b3c"


def unwrapped(response_id: str) -> str:
    """The provider's id inside a gateway-issued id (LiteLLM's base64 wrapping)."""
    plain = base64.b64decode(response_id.removeprefix("resp_")).decode()
    provider, model_id, inner = plain.split(";")
    assert provider == "litellm:custom_llm_provider:openai"
    assert model_id.startswith("model_id:")
    return inner.removeprefix("response_id:")


def test_create_is_parsed_with_group_name_and_usage(client: openai.OpenAI, upstream):
    resp = client.responses.create(model="gpt-mock", input="Say hello", max_output_tokens=4)
    assert resp.object == "response"
    assert resp.model == "gpt-mock"
    assert resp.status == "completed"
    assert resp.output_text == MOCK_TEXT
    assert resp.usage is not None and resp.usage.total_tokens == resp.usage.input_tokens + 6
    assert unwrapped(resp.id) == PROVIDER_ID
    (req,) = upstream.requests()
    assert req["path"] == "/v1/responses"
    assert req["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert MASTER_KEY not in json.dumps(req)
    # The Responses API's smallest max_output_tokens, as LiteLLM raises it.
    assert json.loads(req["body"]) == {"model": "gpt-4o-mini", "input": "Say hello", "max_output_tokens": 16}


def test_stream_helper_reads_the_events(client: openai.OpenAI):
    with client.responses.stream(model="gpt-mock", input="Say hello") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    assert kinds.count("response.output_text.delta") == MOCK_STREAM_CHUNKS
    assert final.output_text == MOCK_TEXT
    assert unwrapped(final.id) == PROVIDER_ID


def test_raw_stream_events_carry_the_group_name(client: openai.OpenAI):
    events = list(client.responses.create(model="gpt-mock", input="Say hello", stream=True))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == MOCK_TEXT
    # LiteLLM adds the model the client asked for to every event.
    assert all(getattr(e, "model", None) == "gpt-mock" for e in events)
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.usage is not None


def test_stored_response_by_the_issued_id(client: openai.OpenAI, upstream):
    created = client.responses.create(model="gpt-mock", input="Say hello")
    read = client.responses.retrieve(created.id)
    assert read.id == created.id
    assert read.output_text == MOCK_TEXT
    items = client.responses.input_items.list(created.id)
    assert items.data[0].type == "message"
    cancelled = client.responses.cancel(created.id)
    assert cancelled.status == "cancelled"
    client.responses.delete(created.id)
    paths = [(r["method"], r["path"]) for r in upstream.requests()]
    assert paths == [
        ("POST", "/v1/responses"),
        ("GET", f"/v1/responses/{PROVIDER_ID}"),
        ("GET", f"/v1/responses/{PROVIDER_ID}/input_items?limit=20&order=desc"),
        ("POST", f"/v1/responses/{PROVIDER_ID}/cancel"),
        ("DELETE", f"/v1/responses/{PROVIDER_ID}"),
    ]


def test_previous_response_id_goes_upstream_unwrapped(client: openai.OpenAI, upstream):
    first = client.responses.create(model="gpt-mock", input="Say hello")
    client.responses.create(model="gpt-mock", input="Again", previous_response_id=first.id)
    last = upstream.requests()[-1]
    assert json.loads(last["body"])["previous_response_id"] == PROVIDER_ID


def test_refusals_are_litellm_errors(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.retrieve("resp_not_issued_here")
    assert "no healthy deployments" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model="gpt-mock", input=None)  # type: ignore[arg-type]
    assert "Missing required parameter: 'input'" in e.value.message
