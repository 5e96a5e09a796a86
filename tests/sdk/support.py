"""Constants shared by the SDK tests and their fixtures: keys, the mock's fixed replies, groups."""

#: Options for every SDK client: no retries, so each error test sees the gateway's own
#: answer exactly once; a short timeout, so a hung request fails the test instead of
#: waiting out the SDK's 10-minute default.
CLIENT_OPTS = {"max_retries": 0, "timeout": 15.0}

#: The master key of `gateway`; the key the SDK clients send.
MASTER_KEY = "sk-corelane-sdk-test"

#: Keys the gateway holds for its upstreams; a client's key must never reach the provider.
UPSTREAM_KEY = "sk-upstream-openai"
AZURE_UPSTREAM_KEY = "azure-upstream-key"
GEMINI_KEY = "AIza-upstream-gemini"
OLLAMA_KEY = "sk-upstream-ollama"
COHERE_KEY = "co-upstream-cohere"

#: The vertex-gemini deployment's project (from its service account file) and location.
VERTEX_PROJECT = "corelane-sdk"
VERTEX_LOCATION = "europe-west4"

#: api-version configured on the azure deployment (sent upstream as a query parameter).
AZURE_API_VERSION = "2024-10-21"

#: The mock's fixed reply; streams cycle through its words, so with MOCK_STREAM_CHUNKS = 6
#: the concatenated stream is exactly this text.
MOCK_TEXT = "Hello from the mock provider."
MOCK_STREAM_CHUNKS = 6

#: The mock_response deployment's answer.
OFFLINE_TEXT = "An offline answer from mock_response."

#: Deployment timeout of the `upstream-timeout` group vs. the delay its upstream injects.
TIMEOUT_SECONDS = 0.5
TIMEOUT_DELAY_MS = 3000

#: Stream idle timeout of the `upstream-slowstream` group vs. the pause between its events.
STREAM_TIMEOUT_SECONDS = 0.5
SLOWSTREAM_MS = 2000

#: Every model group in the generated config (models.list() must return all of them).
MODEL_GROUPS = (
    "gpt-mock",
    "emb-mock",
    "mistral-mock",
    "azure-gpt",
    "offline-gpt",
    "claude-mock",
    "claude-429",
    "gemini-mock",
    "gemini-embed",
    "gemini-429",
    "vertex-gemini",
    "vertex-claude",
    "bedrock-claude",
    "bedrock-429",
    "bedrock-nova",
    "bedrock-titan",
    "bedrock-cohere-embed",
    "ollama-chat",
    "ollama-gen",
    "ollama-embed",
    "ollama-404",
    "cohere-chat",
    "cohere-embed",
    "cohere-rerank",
    "cohere-429",
    "upstream-429",
    "upstream-500",
    "upstream-timeout",
    "upstream-truncate",
    "upstream-slowstream",
)
