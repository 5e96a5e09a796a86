"""Claude Code (the npm package @anthropic-ai/claude-code, pinned in tests/claude-code and
installed by scripts/setup.sh) in print mode through the gateway's /v1/messages, against an
Anthropic-format deployment of the mock and an OpenAI-format one (bridged to chat
completions): a plain answer, a streamed one read event by event, and a whole tool loop (the
mock asks for Bash, Claude Code runs it, the mock echoes the result back); and all three
through a Gemini-format deployment too (Messages → chat → generateContent), and through
Claude on Bedrock (the Invoke API, SigV4-signed, its stream in AWS event-stream chunks) and
on Vertex AI (rawPredict with a minted token)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support import MASTER_KEY, MOCK_TEXT

CLAUDE = Path(__file__).resolve().parents[1] / "claude-code" / "node_modules" / ".bin" / "claude"


MODELS = ["claude-mock", "gpt-mock", "gemini-mock", "bedrock-claude", "vertex-claude"]


def run_claude(gateway, tmp_path: Path, model: str, prompt: str, *args: str) -> str:
    if not CLAUDE.exists():
        pytest.fail(f"{CLAUDE} is missing: run `bash scripts/setup.sh` (it needs npm)")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_API_KEY": MASTER_KEY,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    done = subprocess.run(
        [str(CLAUDE), "-p", prompt, "--model", model, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("model", MODELS)
def test_a_plain_answer(gateway, upstream, tmp_path, model):
    assert run_claude(gateway, tmp_path, model, "say hi").strip() == MOCK_TEXT
    if model == "gemini-mock":
        sent = [r for r in upstream.requests() if ":generateContent" in r["path"]
                or ":streamGenerateContent" in r["path"]]
    elif model == "bedrock-claude":
        sent = [r for r in upstream.requests() if r["path"].endswith("/invoke")
                or r["path"].endswith("/invoke-with-response-stream")]
        assert all(json.loads(r["body"])["anthropic_version"] == "bedrock-2023-05-31" for r in sent)
    elif model == "vertex-claude":
        sent = [r for r in upstream.requests() if "RawPredict" in r["path"]]
        assert all(json.loads(r["body"])["anthropic_version"] == "vertex-2023-10-16" for r in sent)
    elif model == "claude-mock":
        sent = [r for r in upstream.requests() if r["path"] == "/v1/messages"]
        assert all(json.loads(r["body"])["model"] == "claude-sonnet-4-5" for r in sent)
        assert any("claude-code" in r["headers"].get("anthropic-beta", "") for r in sent)
    else:
        sent = [r for r in upstream.requests() if r["path"] == "/v1/chat/completions"]
        assert all(json.loads(r["body"])["model"] == "gpt-4o-mini" for r in sent)
    assert sent, "Claude Code's requests reached the deployment"


@pytest.mark.parametrize("model", MODELS)
def test_a_streamed_answer_arrives_event_by_event(gateway, tmp_path, model):
    out = run_claude(
        gateway,
        tmp_path,
        model,
        "say hi",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-partial-messages",
    )
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    events = [l["event"] for l in lines if l.get("type") == "stream_event"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop", kinds
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == MOCK_TEXT
    assert lines[-1]["type"] == "result" and lines[-1]["result"] == MOCK_TEXT


@pytest.mark.parametrize("model", MODELS)
def test_a_tool_loop(gateway, tmp_path, model):
    out = run_claude(
        gateway,
        tmp_path,
        model,
        'Please run [[tool:Bash {"command": "echo corelane-$((6*7))"}]]',
        "--allowedTools",
        "Bash",
    )
    assert out.strip() == "tool result: corelane-42"
