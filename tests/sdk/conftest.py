"""Session fixtures for the official-SDK tests: the mock provider and two real gateways.

One `corelane-mock` (one thread, so its `/__mock/requests` record sees every request) stands
in for every provider; fault-injection prefixes in each deployment's `api_base` make whole
model groups fail in a chosen way. Two gateways run from generated config files: `gateway`
has a master key (the usual deployment), `open_gateway` has none and accepts any key. LiteLLM
1.106, and corelane, start keyless only with the local-development opt-in
LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true, which `open_gateway` gets and
`gateway` does not.

Binaries come from $CORELANE_BIN_DIR, default `<repo>/target/debug`; scripts/sdk-tests.sh
builds them. $CORELANE_GATEWAY_ARGS adds flags to both gateways' command lines.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import anthropic
import openai
import pytest

from support import (
    CLIENT_OPTS,
    COHERE_KEY,
    GEMINI_KEY,
    OLLAMA_KEY,
    VERTEX_LOCATION,
    VERTEX_PROJECT,
    AZURE_API_VERSION,
    AZURE_UPSTREAM_KEY,
    MASTER_KEY,
    MOCK_STREAM_CHUNKS,
    OFFLINE_TEXT,
    SLOWSTREAM_MS,
    STREAM_TIMEOUT_SECONDS,
    TIMEOUT_DELAY_MS,
    TIMEOUT_SECONDS,
    UPSTREAM_KEY,
)

REPO = Path(__file__).resolve().parents[2]

#: LiteLLM's opt-in to start with no master key or a publicly known one.
PERMIT_WEAK_KEY = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY"

#: Seconds a process may take to print its listening line (debug builds, a busy 2-core box).
START_TIMEOUT = 30.0


@dataclass
class Proc:
    """A started child process and the address it printed."""

    name: str
    popen: subprocess.Popen
    port: int
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _binary(name: str) -> Path:
    bin_dir = Path(os.environ.get("CORELANE_BIN_DIR", REPO / "target" / "debug"))
    path = bin_dir / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.exit(
            f"{name} not found at {path}. Build it with "
            "`cargo build -p corelane -p corelane-harness` (or run scripts/sdk-tests.sh), "
            "or point CORELANE_BIN_DIR at the directory holding it.",
            returncode=2,
        )
    return path


def _start(
    name: str, argv: list[str], pattern: str, log_dir: Path, env: dict[str, str] | None = None
) -> Proc:
    """Starts `argv` (with `env`, default: this process's), waits for a stdout line matching
    `pattern` (group 1 = port)."""
    stderr_path = log_dir / f"{name}.stderr.log"
    stderr = stderr_path.open("wb")
    popen = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=REPO,
        env=env,
    )
    stderr.close()
    lines: queue.Queue[str | None] = queue.Queue()

    # Drain stdout for the process's whole life so a chatty child never blocks on a full pipe.
    def pump() -> None:
        assert popen.stdout is not None
        for raw in popen.stdout:
            lines.put(raw.decode(errors="replace"))
        lines.put(None)

    threading.Thread(target=pump, name=f"{name}-stdout", daemon=True).start()
    seen: list[str] = []
    regex = re.compile(pattern)
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            _stop(popen)
            pytest.exit(
                f"{name} printed no listening line within {START_TIMEOUT}s; stdout so far: "
                f"{seen!r}; stderr:\n{stderr_path.read_text(errors='replace')}",
                returncode=3,
            )
        if line is None:
            code = popen.wait()
            pytest.exit(
                f"{name} exited with {code} before listening; stdout: {seen!r}; stderr:\n"
                f"{stderr_path.read_text(errors='replace')}",
                returncode=3,
            )
        seen.append(line)
        match = regex.search(line)
        if match:
            return Proc(name, popen, int(match.group(1)), stderr_path)


def _stop(popen: subprocess.Popen) -> None:
    if popen.poll() is not None:
        return
    popen.terminate()
    try:
        popen.wait(timeout=5)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(timeout=5)


def write_config(path: Path, mock_url: str, master_key: str | None) -> None:
    """The LiteLLM config.yaml both gateways run, written as block YAML like a user's file."""

    def openai_group(name: str, model: str, prefix: str = "", **extra: object) -> dict:
        params = {"model": model, "api_base": f"{mock_url}{prefix}/v1", "api_key": UPSTREAM_KEY}
        params.update(extra)
        return {"model_name": name, "litellm_params": params}

    # A service account whose token endpoint is the mock's (`/token`); its key is the
    # integration tests' throwaway one.
    service_account = path.parent / "vertex-sa.json"
    service_account.write_text(json.dumps({
        "type": "service_account", "project_id": VERTEX_PROJECT, "private_key_id": "kid-sdk",
        "private_key": (REPO / "server" / "tests" / "data" / "test-rsa-key.pem").read_text(),
        "client_email": f"gw@{VERTEX_PROJECT}.iam.gserviceaccount.com",
        "token_uri": f"{mock_url}/token",
    }))

    def bedrock_group(name: str, prefix: str, model: str = "anthropic.claude-3-5-sonnet-20240620-v1:0") -> dict:
        params = {
            "model": f"bedrock/{model}",
            "api_base": f"{mock_url}{prefix}",
            "aws_region_name": "us-east-1",
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        }
        return {"model_name": name, "litellm_params": params}

    def ollama_group(name: str, model: str, prefix: str = "") -> dict:
        params = {"model": model, "api_base": f"{mock_url}{prefix}", "api_key": OLLAMA_KEY}
        return {"model_name": name, "litellm_params": params}

    def cohere_group(name: str, model: str, path: str) -> dict:
        params = {"model": model, "api_base": f"{mock_url}{path}", "api_key": COHERE_KEY}
        return {"model_name": name, "litellm_params": params}

    def gemini_group(name: str, model: str, prefix: str = "") -> dict:
        params = {"model": model, "api_base": f"{mock_url}{prefix}/v1beta", "api_key": GEMINI_KEY}
        return {"model_name": name, "litellm_params": params}

    config: dict = {
        "model_list": [
            openai_group("gpt-mock", "openai/gpt-4o-mini"),
            openai_group("emb-mock", "openai/text-embedding-3-small"),
            openai_group("mistral-mock", "mistral/mistral-large-latest"),
            {
                "model_name": "azure-gpt",
                "litellm_params": {
                    "model": "azure/my-azure-deployment",
                    "api_base": mock_url,
                    "api_version": AZURE_API_VERSION,
                    "api_key": AZURE_UPSTREAM_KEY,
                },
            },
            {
                "model_name": "offline-gpt",
                "litellm_params": {"model": "openai/gpt-4o", "mock_response": OFFLINE_TEXT},
            },
            {
                "model_name": "claude-mock",
                "litellm_params": {
                    "model": "anthropic/claude-sonnet-4-5",
                    "api_base": mock_url,
                    "api_key": UPSTREAM_KEY,
                },
            },
            {
                "model_name": "claude-429",
                "litellm_params": {
                    "model": "anthropic/claude-sonnet-4-5",
                    "api_base": mock_url + "/status/429",
                    "api_key": UPSTREAM_KEY,
                },
            },
            gemini_group("gemini-mock", "gemini/gemini-2.5-flash"),
            gemini_group("gemini-embed", "gemini/text-embedding-004"),
            gemini_group("gemini-429", "gemini/gemini-2.5-flash", "/status/429"),
            bedrock_group("bedrock-claude", ""),
            bedrock_group("bedrock-429", "/status/429"),
            bedrock_group("bedrock-nova", "", "amazon.nova-pro-v1:0"),
            bedrock_group("bedrock-titan", "", "amazon.titan-embed-text-v2:0"),
            bedrock_group("bedrock-cohere-embed", "", "cohere.embed-multilingual-v3"),
            ollama_group("ollama-chat", "ollama_chat/llama3.2"),
            ollama_group("ollama-gen", "ollama/llama3.2"),
            ollama_group("ollama-embed", "ollama/nomic-embed-text"),
            ollama_group("ollama-404", "ollama_chat/llama3.2", "/status/404"),
            cohere_group("cohere-chat", "cohere/command-r-plus", "/v2/chat"),
            cohere_group("cohere-embed", "cohere/embed-english-v3.0", "/v2/embed"),
            cohere_group("cohere-rerank", "cohere/rerank-v3.5", ""),
            cohere_group("cohere-429", "cohere_chat/command-a-03-2025", "/status/429/v2/chat"),
            {
                "model_name": "vertex-gemini",
                "litellm_params": {
                    "model": "vertex_ai/gemini-2.5-flash",
                    "api_base": mock_url,
                    "vertex_location": VERTEX_LOCATION,
                    "vertex_credentials": str(service_account),
                },
            },
            {
                "model_name": "vertex-claude",
                "litellm_params": {
                    "model": "vertex_ai/claude-sonnet-4-5@20250929",
                    "api_base": mock_url,
                    "vertex_location": VERTEX_LOCATION,
                    "vertex_credentials": str(service_account),
                },
            },
            openai_group("upstream-429", "openai/gpt-4o-mini", "/status/429"),
            openai_group("upstream-500", "openai/gpt-4o-mini", "/status/500"),
            openai_group(
                "upstream-timeout",
                "openai/gpt-4o-mini",
                f"/delay/{TIMEOUT_DELAY_MS}",
                timeout=TIMEOUT_SECONDS,
                # One attempt: the router retries a 408 (tests/router.rs covers that).
                num_retries=0,
            ),
            openai_group("upstream-truncate", "openai/gpt-4o-mini", "/truncate"),
            openai_group(
                "upstream-slowstream",
                "openai/gpt-4o-mini",
                f"/slowstream/{SLOWSTREAM_MS}",
                stream_timeout=STREAM_TIMEOUT_SECONDS,
            ),
        ],
        "general_settings": {},
    }
    if master_key is not None:
        config["general_settings"]["master_key"] = master_key
    path.write_text("".join(_yaml(config, 0)))


def _yaml(value: object, indent: int) -> list[str]:
    """Block-style YAML for dicts, lists and scalars; strings JSON-quoted (valid YAML)."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{key}:\n")
                out.extend(_yaml(item, indent + 2))
            else:
                out.append(f"{pad}{key}: {_scalar(item)}\n")
    elif isinstance(value, list):
        for item in value:
            lines = _yaml(item, indent + 2)
            out.append(f"{pad}- {lines[0].lstrip()}")
            out.extend(lines[1:])
    else:
        out.append(f"{pad}{_scalar(value)}\n")
    return out


def _scalar(value: object) -> str:
    if value == {}:
        return "{}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


@pytest.fixture(scope="session")
def mock(tmp_path_factory: pytest.TempPathFactory):
    log_dir = tmp_path_factory.mktemp("mock")
    proc = _start(
        "corelane-mock",
        [
            str(_binary("corelane-mock")),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--threads",
            "1",
            "--stream-chunks",
            str(MOCK_STREAM_CHUNKS),
        ],
        r"^listening on 127\.0\.0\.1:(\d+)",
        log_dir,
    )
    yield MockProvider(proc)
    _stop(proc.popen)


def _gateway(tmp_path_factory: pytest.TempPathFactory, mock: "MockProvider", key: str | None):
    name = "gateway" if key else "open-gateway"
    log_dir = tmp_path_factory.mktemp(name)
    config = log_dir / "config.yaml"
    write_config(config, mock.proc.url, key)
    return start_gateway(name, config, log_dir, permit_weak_key=key is None, workers=1)


def start_gateway(
    name: str, config: Path, log_dir: Path, *, permit_weak_key: bool, workers: int
) -> Proc:
    """Starts `corelane --config <config>` on an ephemeral port with `workers` cores."""
    # The master key and the opt-in come from the config and here only, not from the caller's
    # shell: a keyed gateway must pass the start-up rule on its own.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LITELLM_MASTER_KEY", PERMIT_WEAK_KEY)
    }
    if permit_weak_key:
        env[PERMIT_WEAK_KEY] = "true"
    # Each gateway keeps its embedded key and spend store in its own directory.
    env["CORELANE_DATA_DIR"] = str(log_dir / "data")
    env.pop("DATABASE_URL", None)
    return _start(
        name,
        [
            str(_binary("corelane")),
            "--config",
            str(config),
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--num_workers",
            str(workers),
            # e.g. "--epoll" or "--detailed_debug" when chasing a failure.
            *shlex.split(os.environ.get("CORELANE_GATEWAY_ARGS", "")),
        ],
        r"corelane listening on http://[^\s:]+:(\d+)",
        log_dir,
        env,
    )


@pytest.fixture(scope="session")
def gateway(tmp_path_factory, mock):
    proc = _gateway(tmp_path_factory, mock, MASTER_KEY)
    yield proc
    _stop(proc.popen)


@pytest.fixture(scope="session")
def open_gateway(tmp_path_factory, mock):
    proc = _gateway(tmp_path_factory, mock, None)
    yield proc
    _stop(proc.popen)


class MockProvider:
    """The mock provider and its introspection endpoints."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc

    def _call(self, method: str, path: str):
        req = urllib.request.Request(self.proc.url + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        self._call("POST", "/__mock/reset")

    def requests(self) -> list[dict]:
        """Provider requests since the last reset, oldest first."""
        return self._call("GET", "/__mock/requests")


@pytest.fixture
def upstream(mock: MockProvider) -> MockProvider:
    """The mock with its request record cleared, for tests that count or inspect attempts."""
    mock.reset()
    return mock


@pytest.fixture
def client(gateway: Proc) -> openai.OpenAI:
    with openai.OpenAI(api_key=MASTER_KEY, base_url=gateway.url + "/v1", **CLIENT_OPTS) as c:
        yield c


@pytest.fixture
def open_client(open_gateway: Proc) -> openai.OpenAI:
    with openai.OpenAI(
        api_key="sk-anything", base_url=open_gateway.url + "/v1", **CLIENT_OPTS
    ) as c:
        yield c


@pytest.fixture
def claude(gateway: Proc) -> anthropic.Anthropic:
    """The official anthropic SDK against the gateway's /v1/messages."""
    with anthropic.Anthropic(api_key=MASTER_KEY, base_url=gateway.url, **CLIENT_OPTS) as c:
        yield c


def pytest_report_header(config: pytest.Config) -> str:
    return f"openai SDK {openai.__version__}, anthropic SDK {anthropic.__version__}"
