"""Embeddings through the gateway: float and the SDK's default base64 path, single and batch."""

from __future__ import annotations

import json

import openai
import pytest

#: Small vectors keep the bodies readable in failure output.
DIMS = 8


def mock_value(row: int, col: int) -> float:
    """The mock's deterministic embedding value (harness/src/lib.rs, "Embeddings")."""
    magnitude = ((row * 7919 + col * 104729) % 1_000_000) / 1e6
    return -magnitude if (row + col) % 2 else magnitude


def expected_rows(rows: int) -> list[list[float]]:
    return [[mock_value(r, c) for c in range(DIMS)] for r in range(rows)]


def check(resp, rows: int, tolerance: float) -> None:
    assert resp.object == "list"
    assert resp.model == "emb-mock"
    assert [d.index for d in resp.data] == list(range(rows))
    for got, want in zip((d.embedding for d in resp.data), expected_rows(rows)):
        assert len(got) == DIMS
        assert got == pytest.approx(want, abs=tolerance)
    assert resp.usage.prompt_tokens == 10 * rows
    assert resp.usage.total_tokens == 10 * rows


@pytest.mark.parametrize("inputs", ["one sentence", ["a", "b", "c", "d", "e"]], ids=["single", "batch"])
def test_float_embeddings(client: openai.OpenAI, upstream, inputs):
    rows = 1 if isinstance(inputs, str) else len(inputs)
    resp = client.embeddings.create(
        model="emb-mock", input=inputs, dimensions=DIMS, encoding_format="float"
    )
    # The mock prints six decimals, so the floats are exact up to JSON parsing.
    check(resp, rows, tolerance=1e-9)
    (req,) = upstream.requests()
    body = json.loads(req["body"])
    assert req["path"] == "/v1/embeddings"
    assert body["model"] == "text-embedding-3-small"
    assert body["encoding_format"] == "float"
    assert body["input"] == inputs


@pytest.mark.parametrize("inputs", ["one sentence", ["a", "b", "c"]], ids=["single", "batch"])
def test_default_base64_embeddings_decode(client: openai.OpenAI, upstream, inputs):
    rows = 1 if isinstance(inputs, str) else len(inputs)
    # No encoding_format: the SDK asks for base64 on the wire and decodes it itself.
    resp = client.embeddings.create(model="emb-mock", input=inputs, dimensions=DIMS)
    (req,) = upstream.requests()
    assert json.loads(req["body"])["encoding_format"] == "base64"
    # little-endian f32 on the wire: exact to float32 precision.
    check(resp, rows, tolerance=1e-6)


def test_raw_base64_body_is_a_string_per_row(client: openai.OpenAI):
    raw = client.embeddings.with_raw_response.create(
        model="emb-mock", input=["x", "y"], dimensions=DIMS, encoding_format="base64"
    )
    body = json.loads(raw.text)
    assert body["model"] == "emb-mock"
    assert all(isinstance(d["embedding"], str) for d in body["data"])
    assert raw.headers.get("x-litellm-model-group") == "emb-mock"
