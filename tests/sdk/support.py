"""Constants shared by the SDK tests and their fixtures: keys, the mock's fixed replies, groups."""

#: The master key of `gateway`; the key the SDK clients send.
MASTER_KEY = "sk-corelane-sdk-test"

#: Keys the gateway holds for its upstreams; a client's key must never reach the provider.
UPSTREAM_KEY = "sk-upstream-openai"
AZURE_UPSTREAM_KEY = "azure-upstream-key"

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

#: Every model group in the generated config (models.list() must return all of them).
MODEL_GROUPS = (
    "gpt-mock",
    "emb-mock",
    "azure-gpt",
    "offline-gpt",
    "upstream-429",
    "upstream-500",
    "upstream-timeout",
)
