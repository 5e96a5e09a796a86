"""The AzureOpenAI client against the gateway's `/openai/deployments/{model}/...` routes."""

from __future__ import annotations

import json

import openai
import pytest

from support import AZURE_API_VERSION, AZURE_UPSTREAM_KEY, CLIENT_OPTS, MASTER_KEY, MOCK_TEXT

MESSAGES = [{"role": "user", "content": "hi"}]

#: The api-version a client sends to the gateway; differs from the deployment's on purpose.
CLIENT_API_VERSION = "2024-06-01"


@pytest.fixture
def azure(gateway):
    # AzureOpenAI authenticates with the `api-key` header, which LiteLLM's proxy accepts.
    with openai.AzureOpenAI(
        azure_endpoint=gateway.url,
        api_key=MASTER_KEY,
        api_version=CLIENT_API_VERSION,
        **CLIENT_OPTS,
    ) as c:
        yield c


def test_azure_client_reaches_azure_deployment(azure: openai.AzureOpenAI, upstream):
    raw = azure.chat.completions.with_raw_response.create(model="azure-gpt", messages=MESSAGES)
    assert raw.http_request.url.path == "/openai/deployments/azure-gpt/chat/completions"
    assert raw.http_request.headers["api-key"] == MASTER_KEY
    resp = raw.parse()
    assert resp.model == "azure-gpt"
    assert resp.choices[0].message.content == MOCK_TEXT
    assert raw.headers.get("x-litellm-model-group") == "azure-gpt"
    (req,) = upstream.requests()
    # Azure upstream: deployment in the path, the deployment's api-version in the query,
    # the key in `api-key`, no bearer token.
    assert req["path"] == (
        f"/openai/deployments/my-azure-deployment/chat/completions?api-version={AZURE_API_VERSION}"
    )
    assert req["headers"].get("api-key") == AZURE_UPSTREAM_KEY
    assert "authorization" not in req["headers"]
    assert MASTER_KEY not in json.dumps(req)


def test_azure_client_streams_from_openai_group(azure: openai.AzureOpenAI, upstream):
    chunks = list(
        azure.chat.completions.create(
            model="gpt-mock",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.model == "gpt-mock" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == MOCK_TEXT
    assert chunks[-1].usage is not None
    (req,) = upstream.requests()
    assert req["path"] == "/v1/chat/completions"


def test_azure_client_wrong_key(gateway):
    with openai.AzureOpenAI(
        azure_endpoint=gateway.url, api_key="wrong-key-1234", api_version=CLIENT_API_VERSION, **CLIENT_OPTS
    ) as c:
        with pytest.raises(openai.AuthenticationError):
            c.chat.completions.create(model="azure-gpt", messages=MESSAGES)


def test_azure_deployment_in_path_wins_over_body_model(gateway, upstream):
    # With azure_deployment set, the SDK puts the deployment in the URL and the caller's
    # `model` in the body. LiteLLM's proxy routes on the path's {model} first
    # (`data["model"] = ... or model  # for azure deployments ... or data["model"]`).
    with openai.AzureOpenAI(
        azure_endpoint=gateway.url,
        azure_deployment="azure-gpt",
        api_key=MASTER_KEY,
        api_version=CLIENT_API_VERSION,
        **CLIENT_OPTS,
    ) as c:
        resp = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert resp.model == "azure-gpt"
    (req,) = upstream.requests()
    assert req["path"].startswith("/openai/deployments/my-azure-deployment/")


def test_azure_embeddings_route(gateway, upstream):
    with openai.AzureOpenAI(
        azure_endpoint=gateway.url, api_key=MASTER_KEY, api_version=CLIENT_API_VERSION, **CLIENT_OPTS
    ) as c:
        resp = c.embeddings.create(model="emb-mock", input="x", dimensions=4)
    assert resp.model == "emb-mock"
    assert len(resp.data[0].embedding) == 4
