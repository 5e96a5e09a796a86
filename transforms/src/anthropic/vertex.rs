//! Claude on Vertex AI (`vertex_ai/claude-*`), as LiteLLM 1.108.7's `VertexAIAnthropicConfig`
//! (chat completions) and `VertexAIPartnerModelsAnthropicMessagesConfig` (`/v1/messages`) send
//! it: Anthropic's Messages format to
//! `{base}/publishers/anthropic/models/{model}:rawPredict` (`:streamRawPredict?alt=sse` for
//! streams) with the Google access token, the model left out of the body and
//! `anthropic_version: "vertex-2023-10-16"` put in. Answers, streams and errors are Anthropic's
//! (errors classed as Vertex AI's, [`crate::gemini::error`]).
//!
//! - chat completions: the Anthropic family's translation ([`super::request`]); the token
//!   also in `x-api-key`, and `anthropic-version: 2023-06-01`, as LiteLLM sends them;
//! - `/v1/messages`: the client's body with LiteLLM's per-model reshaping
//!   ([`super::reshape`]), cache-control `scope` removed; `anthropic-beta` the client's values
//!   and the ones the request's features need, as Vertex names them.

use std::borrow::Cow;

use super::caps::ClaudeCaps;
use super::request::{invalid, Result};
use super::reshape::{as_u64, owned, Obj};
use crate::chat::request_object;
use crate::json::tape::Scratch;
use crate::json::value::{elements, get, is_object, string};
use crate::provider::{
    push_header_value, write_auth, write_head_fields, write_request_path, Credentials, Endpoint,
    ProviderRow, TokenState, UpstreamTarget,
};

/// The `anthropic_version` Vertex AI takes.
pub const ANTHROPIC_VERSION: &str = "vertex-2023-10-16";

/// The `anthropic-beta` values Vertex AI takes under the same name; `advanced-tool-use` is
/// renamed, others dropped (LiteLLM's `anthropic_beta_headers_config.json`, `vertex_ai`).
const BETAS_KEPT: &[&str] = &[
    "compact-2026-01-12",
    "computer-use-2025-01-24",
    "computer-use-2025-11-24",
    "context-1m-2025-08-07",
    "context-management-2025-06-27",
    "dangerous-tool-use-2026-09-03",
    "inline-tools-2026-09-15",
    "interleaved-thinking-2025-05-14",
    "per-turn-control-2026-07-01",
    "thinking-binding-controls-2026-08-01",
    "thinking-display-updates-2026-08-18",
    "tool-search-tool-2025-10-19",
    "web-search-2025-03-05",
];

fn vertex_beta(value: &str) -> Option<&'static str> {
    if value == "advanced-tool-use-2025-11-20" {
        return Some("tool-search-tool-2025-10-19");
    }
    BETAS_KEPT.iter().find(|b| **b == value).copied()
}

/// Whether a `vertex_ai/` model is Claude (LiteLLM's partner route for Anthropic's models).
pub fn is_vertex_claude_model(provider_model: &str) -> bool {
    provider_model.contains("claude")
}

/// Writes the request line and headers (the blank line that ends them not included).
pub fn write_request_head(
    row: &ProviderRow,
    target: &UpstreamTarget<'_>,
    creds: &Credentials,
    out: &mut Vec<u8>,
) {
    let mut path = String::with_capacity(target.base_path.len() + target.provider_model.len() + 64);
    path.push_str(target.base_path);
    write_request_path(
        row,
        target.endpoint,
        target.provider_model,
        None,
        target.stream,
        &mut path,
    );
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(path.as_bytes());
    write_head_fields(target, out);
    write_auth(row, creds, target.now, out);
    if target.endpoint == Endpoint::Messages {
        let betas = messages_betas(target.anthropic_beta, target.body);
        if !betas.is_empty() {
            out.extend_from_slice(b"\r\nanthropic-beta: ");
            push_header_value(&betas.join(","), out);
        }
    } else if target.endpoint == Endpoint::ChatCompletions {
        if let Some(token) = &creds.token {
            if let TokenState::Ready { token, .. } = &**token.load() {
                out.extend_from_slice(b"\r\nx-api-key: ");
                push_header_value(token, out);
            }
        }
        out.extend_from_slice(b"\r\nanthropic-version: 2023-06-01");
    }
}

/// The `anthropic-beta` values of a Messages request (`validate_anthropic_messages_environment`):
/// the client's, plus what its context edits, web search tools and safeguards need; as Vertex
/// names them, sorted.
fn messages_betas(client: Option<&str>, body: &[u8]) -> Vec<&'static str> {
    let mut wanted: Vec<&str> = Vec::new();
    let edits = get(body, "context_management")
        .filter(|v| is_object(v))
        .and_then(|cm| get(cm, "edits"))
        .and_then(elements)
        .unwrap_or_default();
    let compact = |e: &&[u8]| get(e, "type") == Some(b"\"compact_20260112\"");
    if edits.iter().any(compact) {
        wanted.push("compact-2026-01-12");
    }
    if edits.iter().any(|e| !compact(e)) {
        wanted.push("context-management-2025-06-27");
    }
    let web_search = get(body, "tools")
        .and_then(elements)
        .unwrap_or_default()
        .iter()
        .any(|t| {
            get(t, "type")
                .and_then(string)
                .is_some_and(|k| k.starts_with("web_search"))
        });
    if web_search {
        wanted.push("web-search-2025-03-05");
    }
    if get(body, "safeguards").is_some_and(|v| v != b"null") {
        wanted.push("dangerous-tool-use-2026-09-03");
    }
    super::reshape::host_betas(client, &wanted, vertex_beta)
}

/// Chat completions: the Anthropic family's body for `provider_model`, without `model`, with
/// Vertex's `anthropic_version`.
pub fn chat_request(
    body: &[u8],
    provider_model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut anthropic = Vec::with_capacity(body.len() + 256);
    super::transform_request(body, provider_model, scratch, &mut anthropic)?;
    let mut req = Obj::read(&anthropic);
    req.remove("model");
    req.set("anthropic_version", owned(ANTHROPIC_VERSION));
    req.write(out);
    Ok(())
}

/// `/v1/messages`: the client's body reshaped for `provider_model` as LiteLLM reshapes it for
/// Vertex AI.
pub fn messages_request(
    body: &[u8],
    provider_model: &str,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<()> {
    let body = request_object(body, scratch)?;
    let caps = ClaudeCaps::of(provider_model);
    let mut req = Obj::read(body);
    if req.get("max_tokens").is_none() {
        return Err(invalid(
            "max_tokens is required for Anthropic /v1/messages API",
        ));
    }
    let max_tokens = as_u64(req.get("max_tokens"));
    super::reshape::base(&mut req, &caps, max_tokens)?;
    // `_remove_scope_from_cache_control`: Vertex takes the `ttl`, not the `scope`.
    super::reshape::sanitize_cache_control(&mut req, true);
    // The base transform always states the stream.
    if req.get("stream").is_none() {
        req.set("stream", Cow::Borrowed(b"false"));
    }
    req.remove("model");
    req.set("anthropic_version", owned(ANTHROPIC_VERSION));
    req.write(out);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn messages_lose_the_model_and_gain_vertex_s_version() {
        let mut out = Vec::new();
        messages_request(
            br#"{"model":"g","max_tokens":10,"system":"x-anthropic-billing-header: cc","messages":[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral","scope":"global","ttl":"1h"}}]}]}"#,
            "claude-sonnet-4-5@20250929",
            &mut Scratch::new(),
            &mut out,
        )
        .unwrap();
        let sent: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            sent,
            json!({"max_tokens": 10, "stream": false, "anthropic_version": ANTHROPIC_VERSION,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "a",
                       "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]})
        );
    }

    #[test]
    fn betas_are_the_client_s_and_the_request_s_as_vertex_names_them() {
        let body = br#"{"context_management":{"edits":[{"type":"clear_thinking_20251015"}]},"tools":[{"type":"web_search_20250305","name":"web_search"}]}"#;
        assert_eq!(
            messages_betas(
                Some("claude-code-20250219, interleaved-thinking-2025-05-14"),
                body
            ),
            [
                "context-management-2025-06-27",
                "interleaved-thinking-2025-05-14",
                "web-search-2025-03-05"
            ]
        );
        assert!(messages_betas(None, b"{}").is_empty());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod count_tests {
    #[test]
    fn the_count_body_is_the_client_s_with_the_model_unversioned() {
        let mut out = b"HEADROOM".to_vec();
        super::count_request(
            br#"{"model":"vx","messages":[{"role":"user","content":"hi"}],"system":"s"}"#,
            "claude-sonnet-4-5@20250929",
            &mut out,
        );
        assert_eq!(
            &out[8..],
            br#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"system":"s"}"#
        );
        let mut out = Vec::new();
        super::count_request(br#"{"messages":[]}"#, "claude-x", &mut out);
        assert_eq!(out, br#"{"messages":[],"model":"claude-x"}"#);
    }
}

/// The count-tokens body for Claude on Vertex AI (LiteLLM's partner-model count handler): the
/// client's body as it came, its `model` the deployment's without its `@version` (the
/// endpoint refuses versioned names).
pub fn count_request(body: &[u8], provider_model: &str, out: &mut Vec<u8>) {
    let model = provider_model
        .split_once('@')
        .map_or(provider_model, |(m, _)| m);
    out.push(b'{');
    let open = out.len();
    let mut wrote_model = false;
    for m in crate::json::top_members(body).into_iter().flatten() {
        if out.len() > open {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(&body[m.key.clone()]);
        out.extend_from_slice(b"\":");
        if crate::json::value::key_is(body, &m.key, "model") {
            crate::json::write_json_string(model, out);
            wrote_model = true;
        } else {
            out.extend_from_slice(&body[m.value]);
        }
    }
    if !wrote_model {
        if out.len() > open {
            out.push(b',');
        }
        out.extend_from_slice(b"\"model\":");
        crate::json::write_json_string(model, out);
    }
    out.push(b'}');
}
