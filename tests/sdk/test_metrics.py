"""LiteLLM's Prometheus metrics on /metrics: what each kind of request adds to which series.

A gateway of its own (two workers, a master key, `callbacks: ["prometheus"]`) serves five
model groups: `ok` (the mock), `broken` (the mock answering 500), `limited` (a groq deployment
answering 429), `mocked` (mock_response, with `rpm` and `tpm` limits) and `slow` (a stream with
300 ms between events).
Every test scrapes /metrics before and after its action and asserts EXACT deltas of the
samples whose labels contain a given subset, so a request counted twice, not at all, or under
the wrong label fails. The tests run in file order on one gateway; each waits for its own
effects (the client-disconnect test polls), so no test sees another's requests.

The structure test compares corelane's families with a real LiteLLM 1.106.2 scrape
(/work/shared/reference/litellm-1.106.2-metrics.txt, or $CORELANE_METRICS_REFERENCE).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from pathlib import Path

import openai
import pytest

# In tests/sdk/requirements.txt; without it this module is skipped, not the whole run broken.
text_string_to_metric_families = pytest.importorskip(
    "prometheus_client.parser", reason="pip install prometheus-client"
).text_string_to_metric_families

from conftest import _stop, _yaml, start_gateway
from support import CLIENT_OPTS, MASTER_KEY, UPSTREAM_KEY

REFERENCE = Path(
    os.environ.get(
        "CORELANE_METRICS_REFERENCE", "/work/shared/reference/litellm-1.106.2-metrics.txt"
    )
)

MESSAGES = [{"role": "user", "content": "hi"}]
ROUTE = "/v1/chat/completions"
MASTER = "litellm_proxy_master_key"
MOCKED_TEXT = "A mocked answer for the metrics test."
MOCKED_RPM = 1000
MOCKED_TPM = 100000
SLOW_MS = 300

#: LiteLLM's LATENCY_BUCKETS, as its scrape prints them.
LATENCY_LE = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0",
    "30.0", "60.0", "120.0", "300.0", "420.0", "600.0", "+Inf",
]  # fmt: skip
#: prometheus_client's default buckets (litellm_deployment_latency_per_output_token).
DEFAULT_LE = [
    "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5",
    "5.0", "7.5", "10.0", "+Inf",
]  # fmt: skip
LATENCY_HISTOGRAMS = (
    "litellm_request_total_latency_metric",
    "litellm_llm_api_latency_metric",
    "litellm_llm_api_time_to_first_token_metric",
    "litellm_overhead_latency_metric",
    "litellm_overhead_with_guardrails_latency_metric",
)
PER_TOKEN = "litellm_deployment_latency_per_output_token"

# Sample names.
PROXY_TOTAL = "litellm_proxy_total_requests_metric_total"
PROXY_FAILED = "litellm_proxy_failed_requests_metric_total"
DEP_SUCCESS = "litellm_deployment_success_responses_total"
DEP_FAILURE = "litellm_deployment_failure_responses_total"
DEP_TOTAL = "litellm_deployment_total_requests_total"
DEP_STATE = "litellm_deployment_state"
TOTAL_LATENCY_COUNT = "litellm_request_total_latency_metric_count"
LLM_LATENCY_COUNT = "litellm_llm_api_latency_metric_count"
TTFT_COUNT = "litellm_llm_api_time_to_first_token_metric_count"
INPUT_TOKENS = "litellm_input_tokens_metric_total"
OUTPUT_TOKENS = "litellm_output_tokens_metric_total"
TOTAL_TOKENS = "litellm_total_tokens_metric_total"
IN_FLIGHT = "litellm_in_flight_requests"
SUCCESSFUL_FALLBACKS = "litellm_deployment_successful_fallbacks_total"
FAILED_FALLBACKS = "litellm_deployment_failed_fallbacks_total"
COOLED_DOWN = "litellm_deployment_cooled_down_total"
#: LiteLLM 1.108.7's router families (their scenarios are in server/tests/metrics.rs).
ROUTER_FAMILIES = {
    "litellm_deployment_cooled_down": "counter",
    "litellm_deployment_successful_fallbacks": "counter",
    "litellm_deployment_failed_fallbacks": "counter",
    "litellm_deployment_tpm_limit": "gauge",
    "litellm_deployment_rpm_limit": "gauge",
    "litellm_remaining_requests_metric": "gauge",
    "litellm_remaining_tokens_metric": "gauge",
}


# --- the gateway -------------------------------------------------------------------------


def _config(mock_url: str) -> dict:
    def group(name: str, **params: object) -> dict:
        return {"model_name": name, "litellm_params": params}

    return {
        "model_list": [
            group("ok", model="openai/ok-model", api_base=f"{mock_url}/v1", api_key=UPSTREAM_KEY),
            group(
                "broken",
                model="openai/ok-model",
                api_base=f"{mock_url}/status/500/v1",
                api_key=UPSTREAM_KEY,
            ),
            group(
                "limited",
                model="groq/llama",
                api_base=f"{mock_url}/status/429/v1",
                api_key="gsk-metrics-test",
            ),
            group(
                "mocked",
                model="openai/gpt-4o-mini",
                mock_response=MOCKED_TEXT,
                rpm=MOCKED_RPM,
                tpm=MOCKED_TPM,
            ),
            group(
                "slow",
                model="openai/ok-model",
                api_base=f"{mock_url}/slowstream/{SLOW_MS}/v1",
                api_key=UPSTREAM_KEY,
            ),
        ],
        "litellm_settings": {"callbacks": ["prometheus"]},
        "general_settings": {"master_key": MASTER_KEY},
    }


@pytest.fixture(scope="module")
def gw(tmp_path_factory, mock):
    log_dir = tmp_path_factory.mktemp("metrics-gateway")
    config = log_dir / "config.yaml"
    config.write_text("".join(_yaml(_config(mock.proc.url), 0)))
    # Two cores: every count must be the sum of both cores' counters.
    proc = start_gateway("metrics-gateway", config, log_dir, permit_weak_key=False, workers=2)
    yield proc
    _stop(proc.popen)


def request(
    gw, method: str, path: str, body: object = None, key: str | None = MASTER_KEY
) -> tuple[int, bytes]:
    """One request on a fresh connection (`Connection: close`): status and body."""
    headers = {"Connection": "close"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def ids(gw) -> dict[str, str]:
    """model group -> its deployment's model_id (one deployment per group)."""
    status, body = request(gw, "GET", "/v1/model/info")
    assert status == 200, body
    out: dict[str, str] = {}
    for entry in json.loads(body)["data"]:
        assert entry["model_name"] not in out, "one deployment per group expected"
        out[entry["model_name"]] = entry["model_info"]["id"]
    assert set(out) == {"ok", "broken", "limited", "mocked", "slow"}
    return out


# --- scrapes -----------------------------------------------------------------------------


class Scrape:
    """One parsed scrape: its families and every sample keyed by (name, labels)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.families = list(text_string_to_metric_families(text))
        self.samples: dict[tuple[str, frozenset], float] = {}
        for family in self.families:
            for s in family.samples:
                key = (s.name, frozenset(s.labels.items()))
                assert key not in self.samples, f"duplicate sample {s.name}{s.labels}"
                self.samples[key] = s.value

    def matching(self, name: str, **labels: str) -> list[tuple[dict, float]]:
        want = set(labels.items())
        return [
            (dict(k), v) for (n, k), v in self.samples.items() if n == name and want <= k
        ]

    def sum(self, name: str, **labels: str) -> float:
        return sum(v for _, v in self.matching(name, **labels))

    def litellm(self, prefix: str = "litellm_", skip: tuple[str, ...] = (IN_FLIGHT,)) -> dict:
        return {
            k: v
            for k, v in self.samples.items()
            if k[0].startswith(prefix) and k[0] not in skip
        }

    def lines(self, name: str, **labels: str) -> str:
        """The matching samples, for failure messages."""
        rows = self.matching(name, **labels) or self.matching(name)
        return "\n".join(f"{name}{l} {v}" for l, v in rows) or f"(no {name} samples)"


def scrape(gw) -> Scrape:
    status, body = request(gw, "GET", "/metrics")
    assert status == 200, body
    return Scrape(body.decode())


def delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.sum(name, **labels) - before.sum(name, **labels)


def assert_delta(before: Scrape, after: Scrape, name: str, expected: float, **labels: str):
    got = delta(before, after, name, **labels)
    assert got == expected, (
        f"{name}{labels}: delta {got}, expected {expected}; after:\n"
        + after.lines(name, **labels)
    )


def state(s: Scrape, model_id: str) -> float:
    rows = s.matching(DEP_STATE, model_id=model_id)
    assert len(rows) == 1, s.lines(DEP_STATE)
    return rows[0][1]


def chat(gw, model: str, key: str | None = MASTER_KEY, **extra) -> tuple[int, dict]:
    status, body = request(gw, "POST", ROUTE, {"model": model, "messages": MESSAGES, **extra}, key)
    return status, json.loads(body)


# --- the cases ---------------------------------------------------------------------------


def test_successes_over_fresh_connections(gw, ids):
    ok = ids["ok"]
    before = scrape(gw)
    usages = []
    for _ in range(20):
        status, body = chat(gw, "ok")
        assert status == 200, body
        usages.append(body["usage"])
    after = scrape(gw)

    assert_delta(
        before,
        after,
        PROXY_TOTAL,
        20,
        requested_model="ok",
        route=ROUTE,
        status_code="200",
        hashed_api_key=MASTER,
        api_provider="openai",
        model_id=ok,
    )
    # Nothing else was counted: no other status, no failure anywhere.
    assert_delta(before, after, PROXY_TOTAL, 20)
    assert_delta(before, after, PROXY_FAILED, 0)
    assert_delta(before, after, DEP_FAILURE, 0)
    for name in (DEP_SUCCESS, DEP_TOTAL):
        assert_delta(before, after, name, 20, model_id=ok, requested_model="ok", model_group="ok")
        assert_delta(before, after, name, 20)
    for name in (TOTAL_LATENCY_COUNT, LLM_LATENCY_COUNT):
        assert_delta(before, after, name, 20, model_id=ok, requested_model="ok")
    assert_delta(before, after, TTFT_COUNT, 0)
    prompt = sum(u["prompt_tokens"] for u in usages)
    completion = sum(u["completion_tokens"] for u in usages)
    assert prompt > 0 and completion > 0
    assert_delta(before, after, INPUT_TOKENS, prompt, model_id=ok, requested_model="ok")
    assert_delta(before, after, OUTPUT_TOKENS, completion, model_id=ok, requested_model="ok")
    assert_delta(before, after, TOTAL_TOKENS, prompt + completion, model_id=ok)
    assert state(after, ok) == 0


def test_stream_success(gw, ids):
    ok = ids["ok"]
    before = scrape(gw)
    with openai.OpenAI(api_key=MASTER_KEY, base_url=gw.url + "/v1", **CLIENT_OPTS) as c:
        stream = c.chat.completions.create(
            model="ok", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1, chunks
    usage = usage[0]
    after = scrape(gw)

    labels = dict(requested_model="ok", route=ROUTE, hashed_api_key=MASTER, model_id=ok)
    assert_delta(before, after, PROXY_TOTAL, 1, status_code="200", api_provider="openai", **labels)
    assert_delta(before, after, PROXY_TOTAL, 1)
    assert_delta(before, after, PROXY_FAILED, 0)
    for name in (DEP_SUCCESS, DEP_TOTAL, TOTAL_LATENCY_COUNT, LLM_LATENCY_COUNT, TTFT_COUNT):
        assert_delta(before, after, name, 1, model_id=ok, requested_model="ok")
        assert_delta(before, after, name, 1)
    assert_delta(before, after, INPUT_TOKENS, usage.prompt_tokens, model_id=ok)
    assert_delta(before, after, OUTPUT_TOKENS, usage.completion_tokens, model_id=ok)
    assert_delta(
        before, after, TOTAL_TOKENS, usage.prompt_tokens + usage.completion_tokens, model_id=ok
    )
    assert state(after, ok) == 0


def _client_error(
    gw,
    body,
    exception_class: str,
    requested_model: str | None,
    dep_requested_model: str | None,
    status: int = 400,
):
    """A request refused before any deployment was picked; `None` leaves a label unchecked."""
    proxy_labels = {} if requested_model is None else {"requested_model": requested_model}
    dep_labels = {} if dep_requested_model is None else {"requested_model": dep_requested_model}
    before = scrape(gw)
    got, text = request(gw, "POST", ROUTE, body)
    assert got == status, text
    after = scrape(gw)
    assert_delta(
        before,
        after,
        PROXY_TOTAL,
        1,
        status_code=str(status),
        route=ROUTE,
        hashed_api_key=MASTER,
        **proxy_labels,
    )
    assert_delta(before, after, PROXY_TOTAL, 1)
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        exception_class=exception_class,
        exception_status=str(status),
        route=ROUTE,
        hashed_api_key=MASTER,
        **proxy_labels,
    )
    assert_delta(before, after, PROXY_FAILED, 1)
    # LiteLLM logs these as LLM failures of no deployment.
    assert_delta(
        before,
        after,
        DEP_FAILURE,
        1,
        model_id="",
        exception_class=exception_class,
        exception_status=str(status),
        **dep_labels,
    )
    assert_delta(before, after, DEP_FAILURE, 1)
    assert_delta(before, after, DEP_TOTAL, 1, model_id="")
    assert_delta(before, after, DEP_SUCCESS, 0)
    assert_delta(before, after, TOTAL_LATENCY_COUNT, 0)
    return before, after


def test_invalid_json(gw):
    _client_error(gw, b'{"model": "ok", "messages": [', "ProxyException", "None", "")


def test_missing_messages(gw):
    # As LiteLLM's scrape shows it: no model read, "None" in proxy and "" in deployment metrics.
    _client_error(gw, {"model": "ok"}, "ProxyMissingRequiredParamError", "None", "")


def test_unknown_model(gw):
    _client_error(
        gw, {"model": "nope", "messages": MESSAGES}, "ProxyModelNotFoundError", "other", None
    )


@pytest.mark.parametrize(
    "key,exception_class", [(None, "Exception"), ("sk-wrong-key-1234", "ProxyException")],
    ids=["no-key", "wrong-key"],
)  # fmt: skip
def test_auth_failures(gw, key, exception_class):
    before = scrape(gw)
    status, body = request(gw, "POST", ROUTE, {"model": "ok", "messages": MESSAGES}, key)
    assert status == 401, body
    after = scrape(gw)
    # No key: nobody to name. A wrong key is not pinned here (LiteLLM may hash what it got).
    labels = dict(exception_status="401", route=ROUTE)
    if key is None:
        labels["hashed_api_key"] = "None"
    assert_delta(before, after, PROXY_FAILED, 1, exception_class=exception_class, **labels)
    assert_delta(before, after, PROXY_FAILED, 1)
    assert_delta(before, after, PROXY_TOTAL, 1, status_code="401", route=ROUTE)
    assert_delta(before, after, PROXY_TOTAL, 1)
    # An auth failure is no LLM call: no deployment metric, no latency, no tokens.
    assert before.litellm("litellm_deployment_") == after.litellm("litellm_deployment_")
    assert before.litellm("litellm_llm_api_") == after.litellm("litellm_llm_api_")
    assert before.litellm("litellm_request_") == after.litellm("litellm_request_")


def test_upstream_500(gw, ids):
    broken = ids["broken"]
    before = scrape(gw)
    status, body = chat(gw, "broken")
    assert status == 500, body
    after = scrape(gw)
    cls = "Openai.InternalServerError"
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        exception_class=cls,
        exception_status="500",
        api_provider="openai",
        requested_model="broken",
        model_id=broken,
        hashed_api_key=MASTER,
    )
    assert_delta(before, after, PROXY_FAILED, 1)
    assert_delta(before, after, PROXY_TOTAL, 1, status_code="500", requested_model="broken")
    assert_delta(before, after, PROXY_TOTAL, 1)
    assert_delta(
        before,
        after,
        DEP_FAILURE,
        1,
        model_id=broken,
        model_group="broken",
        requested_model="broken",
        exception_class=cls,
        exception_status="500",
        api_provider="openai",
    )
    assert_delta(before, after, DEP_FAILURE, 1)
    assert_delta(before, after, DEP_TOTAL, 1, model_id=broken)
    assert_delta(before, after, DEP_SUCCESS, 0)
    assert state(after, broken) == 1
    assert state(after, ids["ok"]) == 0


def test_upstream_429_groq(gw, ids):
    limited = ids["limited"]
    before = scrape(gw)
    status, body = chat(gw, "limited")
    assert status == 429, body
    assert "GroqException" in body["error"]["message"], body
    after = scrape(gw)
    cls = "Groq.RateLimitError"
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        exception_class=cls,
        exception_status="429",
        api_provider="groq",
        requested_model="limited",
        model_id=limited,
    )
    assert_delta(before, after, PROXY_FAILED, 1)
    assert_delta(before, after, PROXY_TOTAL, 1, status_code="429", requested_model="limited")
    assert_delta(
        before, after, DEP_FAILURE, 1, model_id=limited, exception_class=cls, api_provider="groq"
    )
    assert_delta(before, after, DEP_FAILURE, 1)
    assert state(after, limited) == 1


def test_request_fallbacks(gw, ids):
    """A request's own `fallbacks`: each fallback attempt counts once, labelled with the group
    that failed and its error (LiteLLM's log_success_fallback_event / log_failure_fallback_event),
    on no deployment (`model_id` "None")."""
    before = scrape(gw)
    status, body = chat(gw, "limited", fallbacks=["ok"], num_retries=0)
    assert status == 200, body
    status, body = chat(gw, "broken", fallbacks=["limited"], num_retries=0)
    assert status == 500, body
    after = scrape(gw)
    common = dict(hashed_api_key=MASTER, api_key_alias="None", team="None", team_alias="None")
    assert_delta(
        before,
        after,
        SUCCESSFUL_FALLBACKS,
        1,
        requested_model="limited",
        fallback_model="ok",
        exception_status="429",
        exception_class="Groq.RateLimitError",
        model_id="None",
        **common,
    )
    assert_delta(before, after, SUCCESSFUL_FALLBACKS, 1)
    assert_delta(
        before,
        after,
        FAILED_FALLBACKS,
        1,
        requested_model="broken",
        fallback_model="limited",
        exception_status="500",
        exception_class="Openai.InternalServerError",
        model_id="None",
        **common,
    )
    assert_delta(before, after, FAILED_FALLBACKS, 1)
    # Single deployments: neither a 429 nor a 500 cools one.
    assert_delta(before, after, COOLED_DOWN, 0)


def test_mock_response_is_a_success(gw, ids):
    mocked = ids["mocked"]
    before = scrape(gw)
    status, body = chat(gw, "mocked")
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == MOCKED_TEXT
    usage = body["usage"]
    after = scrape(gw)
    assert_delta(
        before,
        after,
        PROXY_TOTAL,
        1,
        status_code="200",
        requested_model="mocked",
        model_id=mocked,
        route=ROUTE,
    )
    assert_delta(before, after, PROXY_TOTAL, 1)
    assert_delta(before, after, PROXY_FAILED, 0)
    assert_delta(before, after, DEP_FAILURE, 0)
    for name in (DEP_SUCCESS, DEP_TOTAL, TOTAL_LATENCY_COUNT):
        assert_delta(before, after, name, 1, model_id=mocked)
    assert_delta(before, after, INPUT_TOKENS, usage["prompt_tokens"], model_id=mocked)
    assert_delta(before, after, OUTPUT_TOKENS, usage["completion_tokens"], model_id=mocked)
    assert_delta(before, after, TOTAL_TOKENS, usage["total_tokens"], model_id=mocked)
    assert usage["total_tokens"] > 0
    # The deployment has limits: LiteLLM's success metrics set its limit gauges and what is
    # left of its group's minute.
    labels = dict(model_id=mocked, model_group="mocked")
    assert after.sum("litellm_deployment_rpm_limit", **labels) == MOCKED_RPM
    assert after.sum("litellm_deployment_tpm_limit", **labels) == MOCKED_TPM
    remaining = after.sum("litellm_remaining_requests_metric", hashed_api_key=MASTER, **labels)
    assert 0 <= remaining < MOCKED_RPM, after.lines("litellm_remaining_requests_metric")
    tokens = after.sum("litellm_remaining_tokens_metric", hashed_api_key=MASTER, **labels)
    assert tokens <= MOCKED_TPM - usage["total_tokens"], after.lines("litellm_remaining_tokens_metric")
    # Deployments without limits have none.
    assert not after.matching("litellm_deployment_rpm_limit", model_id=ids["ok"])


def test_admin_routes_are_not_counted(gw):
    before = scrape(gw)
    for path in ("/v1/models", "/health/readiness", "/v1/model/info", "/health/liveliness"):
        status, body = request(gw, "GET", path)
        assert status == 200, (path, body)
    status, _ = request(gw, "GET", "/health/readiness", key=None)
    assert status == 200
    after = scrape(gw)
    old, new = before.litellm(), after.litellm()
    changed = {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}
    assert old == new, changed


@pytest.fixture(scope="module")
def disconnect(gw):
    """A client that reads the first event of a `slow` stream and closes its socket; the
    scrapes before and after the gateway counted it, and the seconds that took."""
    before = scrape(gw)
    body = json.dumps({"model": "slow", "messages": MESSAGES, "stream": True}).encode()
    head = (
        f"POST {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n"
        f"Authorization: Bearer {MASTER_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        sock.sendall(head + body)
        first = b""
        while b"data:" not in first:
            chunk = sock.recv(4096)
            assert chunk, f"connection closed before the first event: {first!r}"
            first += chunk
        assert first.startswith(b"HTTP/1.1 200"), first
    # The rest of the stream would take about 8 x 300 ms; the gateway must notice the close.
    deadline = time.monotonic() + 10
    while True:
        after = scrape(gw)
        if delta(before, after, PROXY_TOTAL) >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return before, after, time.monotonic() - started


def test_client_disconnect_mid_stream(disconnect, ids):
    before, after, elapsed = disconnect
    slow = ids["slow"]
    assert_delta(before, after, PROXY_TOTAL, 1, requested_model="slow", model_id=slow, route=ROUTE)
    assert_delta(before, after, PROXY_TOTAL, 1)
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        exception_class="ClientDisconnected",
        requested_model="slow",
        model_id=slow,
        route=ROUTE,
    )
    assert_delta(before, after, PROXY_FAILED, 1)
    assert_delta(before, after, DEP_SUCCESS, 0)
    assert_delta(before, after, TOTAL_LATENCY_COUNT, 0)
    assert_delta(before, after, INPUT_TOKENS, 0)
    # A client that leaves says nothing about the deployment: LiteLLM logs no failure for it.
    assert_delta(before, after, DEP_FAILURE, 0)
    assert before.litellm("litellm_deployment_state") == after.litellm("litellm_deployment_state")
    # Counted when the gateway noticed the close, not when the upstream's stream ended
    # (its [DONE] comes 8 intervals after the first event).
    assert elapsed < 7 * SLOW_MS / 1000, elapsed


def test_client_disconnect_mid_stream_is_499(disconnect):
    before, after, _ = disconnect
    assert_delta(before, after, PROXY_TOTAL, 1, status_code="499", requested_model="slow")
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        exception_class="ClientDisconnected",
        exception_status="499",
        requested_model="slow",
    )


def test_metrics_needs_the_key(gw):
    before = scrape(gw)
    status, body = request(gw, "GET", "/metrics", key=None)
    assert status == 401, body
    assert b"litellm_" not in body
    after = scrape(gw)
    assert_delta(
        before,
        after,
        PROXY_FAILED,
        1,
        route="/metrics",
        exception_status="401",
        hashed_api_key="None",
    )
    assert_delta(before, after, PROXY_FAILED, 1)
    assert_delta(before, after, PROXY_TOTAL, 1, route="/metrics", status_code="401")
    assert before.litellm("litellm_deployment_") == after.litellm("litellm_deployment_")
    rows = after.matching(IN_FLIGHT)
    assert len(rows) == 1 and rows[0][0] == {}, after.lines(IN_FLIGHT)
    assert rows[0][1] >= 1  # this scrape itself


def _families(text: str) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(text)}


def test_structure_matches_litellm(gw):
    if not REFERENCE.is_file():
        pytest.skip(f"no reference scrape at {REFERENCE}")
    reference_text = REFERENCE.read_text()
    reference = _families(reference_text)
    # A stream of its own, so every histogram has a series even when this test runs alone.
    with openai.OpenAI(api_key=MASTER_KEY, base_url=gw.url + "/v1", **CLIENT_OPTS) as c:
        list(c.chat.completions.create(model="ok", messages=MESSAGES, stream=True))
    s = scrape(gw)
    ours = {f.name: f.type for f in s.families}
    assert ours, s.text
    # The reference scrape saw no stream, so its TTFT histogram has no `_created` companion;
    # prometheus_client writes one (a gauge) beside every counter or histogram with samples.
    for name, kind in list(reference.items()):
        if kind in ("counter", "histogram"):
            reference.setdefault(name + "_created", "gauge")
    for name, kind in ROUTER_FAMILIES.items():
        assert ours.get(name) == kind == reference.get(name), (name, ours.get(name))
    # corelane's own families (the store's spend-row counts, README "Metrics") are not
    # LiteLLM's; every other family must be one of LiteLLM's, of its type.
    own = {"corelane_spend_rows_written", "corelane_spend_rows_dropped", "corelane_spend_rows_pending", "corelane_store_up"}
    mismatched = {
        name: (kind, reference.get(name))
        for name, kind in ours.items()
        if reference.get(name) != kind and name not in own
    }
    assert not mismatched, f"(corelane type, LiteLLM type) by family: {mismatched}"
    reference_help = {
        f.name: f.documentation for f in text_string_to_metric_families(reference_text)
    }
    for family in s.families:
        if family.name in reference_help:
            assert family.documentation == reference_help[family.name], family.name

    # Every series of every histogram has LiteLLM's bounds, in order.
    for family in s.families:
        if family.type != "histogram":
            continue
        buckets: dict[frozenset, list[str]] = {}
        for sample in family.samples:
            if sample.name == family.name + "_bucket":
                labels = dict(sample.labels)
                le = labels.pop("le")
                buckets.setdefault(frozenset(labels.items()), []).append(le)
        expected = DEFAULT_LE if family.name == PER_TOKEN else LATENCY_LE
        assert family.name in LATENCY_HISTOGRAMS + (PER_TOKEN,), family.name
        for les in buckets.values():
            assert les == expected, (family.name, les)
    for name in LATENCY_HISTOGRAMS + (PER_TOKEN,):
        assert s.matching(name + "_bucket"), f"no {name} buckets"

    # LiteLLM's own buckets, where its scrape shows them.
    for family in text_string_to_metric_families(reference_text):
        if family.name in LATENCY_HISTOGRAMS + (PER_TOKEN,):
            les = [x.labels["le"] for x in family.samples if x.name.endswith("_bucket")]
            if les:
                expected = DEFAULT_LE if family.name == PER_TOKEN else LATENCY_LE
                assert les[: len(expected)] == expected, family.name

    # The client's address and user agent are unbounded: never a label.
    for (name, labels), _ in s.samples.items():
        keys = {k for k, _ in labels}
        assert not keys & {"client_ip", "user_agent"}, name


def test_process_metrics(gw):
    """prometheus_client's process collector, as in LiteLLM's scrape: this process's memory,
    start time, CPU time and descriptors, with numbers written as the Python client does."""
    pid = gw.popen.pid
    s = scrape(gw)
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:")) * 1024
    assert abs(s.sum("process_resident_memory_bytes") - rss) < 4 * 1024 * 1024
    assert s.sum("process_virtual_memory_bytes") >= s.sum("process_resident_memory_bytes")
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    assert abs(s.sum("process_open_fds") - fds) <= 4
    assert s.sum("process_max_fds") >= s.sum("process_open_fds")
    started = Path(f"/proc/{pid}").stat().st_mtime
    assert abs(s.sum("process_start_time_seconds") - started) < 120
    assert 0 <= s.sum("process_cpu_seconds_total") < 600
    # Above a million, prometheus_client writes Go's exponent form ("1.2345e+07").
    line = next(l for l in s.text.splitlines() if l.startswith("process_resident_memory_bytes "))
    value = line.split()[1]
    assert "e+0" in value and float(value) == s.sum("process_resident_memory_bytes"), line


@pytest.mark.parametrize(
    ("stream", "asked", "label"),
    [
        # The tier the provider reports serving (the mock echoes the request's) wins.
        (False, "flex", "flex"),
        # A stream reports none: the known tier the client asked for counts.
        (True, "priority", "priority"),
        # An unknown tier is neither a served nor a requested label value.
        (False, "gold", "None"),
        (False, None, "None"),
    ],
)
def test_service_tier_label(gw, ids, stream, asked, label):
    """LiteLLM's `service_tier` label (service_tier_utils.py): served tier, else requested."""
    extra = {} if asked is None else {"service_tier": asked}
    before = scrape(gw)
    with openai.OpenAI(api_key=MASTER_KEY, base_url=gw.url + "/v1", **CLIENT_OPTS) as c:
        answer = c.chat.completions.create(
            model="ok", messages=MESSAGES, stream=stream, extra_body=extra
        )
        if stream:
            list(answer)
    after = scrape(gw)
    assert_delta(before, after, TOTAL_LATENCY_COUNT, 1, model_id=ids["ok"], service_tier=label)
    assert_delta(before, after, TOTAL_LATENCY_COUNT, 1)
