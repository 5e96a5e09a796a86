# Run by plugins.rs under LiteLLM's venv: a stream's answer as the sidecar assembles it for
# logging hooks (`corelane_sidecar.shapes.assembled`, from the events the client got) is
# the one LiteLLM's `stream_chunk_builder` builds from the same chunks.
import json
import sys

sys.path.insert(0, sys.argv[1])
import litellm  # noqa: E402
from corelane_sidecar import shapes  # noqa: E402


def chunk(delta, finish=None, **extra):
    return dict(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o",
            "system_fingerprint": "fp_1",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        },
        **extra,
    )


def call(index, args, **first):
    return {"index": index, "function": {"arguments": args, **first.pop("function", {})}, **first}


STREAMS = {
    "text": [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, "stop"),
        dict(chunk({}), choices=[], usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
    ],
    "tool calls": [
        chunk({"role": "assistant", "content": "Let me check."}),
        chunk({"tool_calls": [call(0, "", id="call_a", type="function", function={"name": "weather"})]}),
        chunk({"tool_calls": [call(0, '{"city":')]}),
        chunk({"tool_calls": [call(1, "", id="call_b", type="function", function={"name": "time"})]}),
        chunk({"tool_calls": [call(0, '"Paris"}'), call(1, "{}")]}),
        chunk({}, "tool_calls"),
        dict(chunk({}), choices=[], usage={"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}),
    ],
}


def essentials(answer):
    message = answer["choices"][0]["message"]
    return {
        "id": answer["id"],
        "model": answer["model"],
        "created": answer["created"],
        "finish_reason": answer["choices"][0]["finish_reason"],
        "content": message.get("content"),
        "tool_calls": [
            {"id": t["id"], "type": t["type"], "function": dict(t["function"])}
            for t in message.get("tool_calls") or []
        ],
        "usage": {k: answer["usage"][k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
    }


for name, chunks in STREAMS.items():
    raw = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    ours = essentials(shapes.assembled({"stream": True, "stream_events": raw, "call_id": "x"}))
    built = litellm.stream_chunk_builder(chunks=[litellm.ModelResponseStream(**c) for c in chunks])
    theirs = essentials(json.loads(built.model_dump_json()))
    assert ours == theirs, f"{name}:\n ours   {ours}\n theirs {theirs}"
    print(name, "same")
