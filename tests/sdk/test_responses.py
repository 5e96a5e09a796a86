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


@pytest.mark.parametrize("group", ["claude-mock", "gemini-mock", "bedrock-claude", "vertex-claude"])
def test_chat_only_families_are_bridged(client: openai.OpenAI, group: str):
    # The Responses API to providers that have none: through each family's chat translation,
    # as LiteLLM bridges them (what Codex-style clients need from Claude and Gemini).
    resp = client.responses.create(model=group, input="Say hello", instructions="Be brief")
    assert resp.model == group
    assert resp.status == "completed"
    assert resp.output_text
    assert resp.instructions == "Be brief"
    assert resp.usage is not None and resp.usage.total_tokens > 0
    with client.responses.stream(model=group, input="Say hello") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert final.output_text
    assert final.usage is not None and final.usage.output_tokens > 0


def test_bridged_tool_calls_come_back_as_function_call_items(client: openai.OpenAI):
    tools = [{"type": "function", "name": "get_weather", "description": "Weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    # The mock's scripted tool use (harness/src/mock/script.rs): Claude asks for get_weather.
    resp = client.responses.create(
        model="claude-mock",
        input=[{"role": "user", "content": 'Weather? [[tool:get_weather {"city": "Paris"}]]'}],
        tools=tools,
    )
    calls = [item for item in resp.output if item.type == "function_call"]
    assert calls and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    # The call's output goes back as the next turn's input item, after the conversation so far.
    follow = client.responses.create(
        model="claude-mock",
        input=[{"role": "user", "content": 'Weather? [[tool:get_weather {"city": "Paris"}]]'},
               {"type": "function_call", "call_id": calls[0].call_id, "name": "get_weather",
                "arguments": calls[0].arguments},
               {"type": "function_call_output", "call_id": calls[0].call_id, "output": "Sunny"}],
        tools=tools,
    )
    assert follow.status == "completed"
    # The mock answers a tool result with its text: the output went upstream as a tool message.
    assert follow.output_text == "tool result: Sunny"


def test_a_mock_deployment_answers_offline(client: openai.OpenAI):
    resp = client.responses.create(model="offline-gpt", input="Say hello")
    assert resp.output_text
    assert resp.model == "offline-gpt"
