//! A Gemini `GenerateContentResponse` → the `chat.completion` body LiteLLM returns, following
//! `VertexGeminiConfig._transform_google_generate_content_to_openai_model_response`
//! (LiteLLM 1.108.7, `litellm/llms/vertex_ai/gemini/vertex_and_google_ai_studio_gemini.py`):
//!
//! - a prompt blocked (`promptFeedback.blockReason`) or a first candidate stopped for safety
//!   (`SAFETY`, `RECITATION`, `BLOCKLIST`, ...) is a `content_filter` answer with no content and
//!   the three plain usage counts (`_handle_blocked_response`);
//! - otherwise each candidate is a choice: text parts joined (`thought: true` parts as
//!   `reasoning_content` and `thinking_blocks`), `functionCall` parts as tool calls numbered
//!   across candidates with `arguments` = `json.dumps(args, ensure_ascii=False)`, images as
//!   `images`; `finish_reason` is `tool_calls` when there are tool calls, else `finishReason`
//!   by `map_finish_reason`, and the native one is kept in `provider_specific_fields`;
//! - `id` is the answer's `responseId`; usage by `_calculate_usage` (`GeminiUsage`); the
//!   candidates' grounding, URL context, safety and citation metadata are listed in the
//!   `vertex_ai_*` members.
//!
//! Tool call ids: LiteLLM draws `call_` and 28 random hex digits; here they are derived from
//! the gateway's own answer id (its hex digits) and the call's index, so the transform stays
//! a pure function. A `functionCall.id` (Gemini 3.5 and newer) is kept as LiteLLM keeps it.
//! Not handled: audio answers, `logprobsResult`, grounding annotations on the message,
//! thought signatures folded into tool call ids (they are listed in the message's
//! `provider_specific_fields`).

use crate::anthropic::TransformError;
use crate::json::value::{
    answer_object, elements, fields, get, string, write_py_dumps_string_unicode,
};
use crate::json::{top_members, write_json_string, write_u64};
use crate::usage::{write_counts, Usage};

/// Gemini's finish reasons that mean the answer was filtered (`get_flagged_finish_reasons`).
const FLAGGED: &[&str] = &[
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
];

/// `map_finish_reason` for Gemini's values (LiteLLM's `_FINISH_REASON_MAP`; unknown → `stop`).
pub(crate) fn finish_reason(native: &str) -> &'static str {
    match native {
        "MAX_TOKENS" | "CONTINUATION" => "length",
        "SAFETY"
        | "RECITATION"
        | "LANGUAGE"
        | "OTHER"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "NO_IMAGE"
        | "IMAGE_RECITATION"
        | "IMAGE_OTHER"
        | "ESCALATION" => "content_filter",
        _ => "stop",
    }
}

/// Writes the client's `chat.completion` for the Gemini answer `body`; returns its usage.
/// `id` (the gateway's answer id) is used when the answer has no `responseId`, and seeds the
/// tool call ids.
pub fn transform_response(
    body: &[u8],
    id: &str,
    created: u64,
    model: &str,
    out: &mut Vec<u8>,
) -> Result<Usage, TransformError> {
    let bad = |m: &str| TransformError::Invalid(format!("Gemini response: {m}"));
    let body = answer_object(body).map_err(bad)?;
    let [candidates, feedback, usage, response_id] = fields(
        body,
        [
            "candidates",
            "promptFeedback",
            "usageMetadata",
            "responseId",
        ],
    );
    let candidates = candidates.and_then(elements).unwrap_or_default();
    let blocked = feedback.is_some_and(|f| get(f, "blockReason").is_some())
        || candidates.first().is_some_and(|c| {
            get(c, "finishReason")
                .and_then(string)
                .is_some_and(|r| FLAGGED.contains(&r.as_str()))
        });
    let usage = usage.ok_or_else(|| bad("no usageMetadata"))?;
    let counts = GeminiUsage::read(usage);
    if blocked {
        write_head(id, created, model, out);
        out.extend_from_slice(
            b"[{\"finish_reason\":\"content_filter\",\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null}}],\"usage\":",
        );
        let plain = counts.plain();
        write_plain_usage(&plain, out);
        out.push(b'}');
        return Ok(plain);
    }
    let id = response_id
        .and_then(string)
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| id.to_owned());
    let seed = ToolIds::new(&id);
    write_head(&id, created, model, out);
    let mut meta = Metadata::default();
    let mut tool_index = 0usize;
    out.push(b'[');
    let mut first = true;
    for (position, candidate) in candidates.iter().enumerate() {
        let [content, finish, index, grounding, safety, citation, url_context] = fields(
            candidate,
            [
                "content",
                "finishReason",
                "index",
                "groundingMetadata",
                "safetyRatings",
                "citationMetadata",
                "urlContextMetadata",
            ],
        );
        if content.is_none() && finish.is_none() {
            continue;
        }
        meta.add(grounding, safety, citation, url_context);
        if !first {
            out.push(b',');
        }
        first = false;
        let parts = content.and_then(|c| get(c, "parts")).and_then(elements);
        let read = parts.as_deref().map(Parts::read);
        let native = finish.and_then(string);
        let finish = match (&read, &native) {
            (Some(r), _) if !r.calls.is_empty() => "tool_calls",
            (_, Some(n)) => finish_reason(n),
            _ => "stop",
        };
        out.extend_from_slice(b"{\"finish_reason\":\"");
        out.extend_from_slice(finish.as_bytes());
        out.extend_from_slice(b"\",\"index\":");
        match index.filter(|i| i.first().is_some_and(u8::is_ascii_digit)) {
            Some(i) => out.extend_from_slice(i),
            None => out.extend_from_slice(itoa::Buffer::new().format(position).as_bytes()),
        }
        out.extend_from_slice(b",\"message\":{\"content\":");
        match read.as_ref().and_then(|r| r.text.as_deref()) {
            Some(t) => write_json_string(t, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"role\":\"assistant\"");
        if let Some(r) = &read {
            r.write_message_rest(&seed, tool_index, out);
            tool_index += r.calls.len();
        }
        out.push(b'}');
        if let Some(n) = &native {
            out.extend_from_slice(b",\"provider_specific_fields\":{\"native_finish_reason\":");
            write_json_string(n, out);
            out.push(b'}');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"usage\":");
    let billed = counts.write(out);
    meta.write(out);
    out.push(b'}');
    Ok(billed)
}

/// `{"id":..,"created":..,"model":..,"object":"chat.completion","choices":` (the list follows).
pub(crate) fn write_head(id: &str, created: u64, model: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(id, out);
    out.extend_from_slice(b",\"created\":");
    out.extend_from_slice(itoa::Buffer::new().format(created).as_bytes());
    out.extend_from_slice(b",\"model\":");
    write_json_string(model, out);
    out.extend_from_slice(b",\"object\":\"chat.completion\",\"choices\":");
}

fn write_plain_usage(u: &Usage, out: &mut Vec<u8>) {
    write_counts(u, out);
    out.push(b'}');
}

/// Tool call ids for one answer: `call_`, 24 hex digits of the answer id, 4 of the call's
/// index (28 in all, LiteLLM's length).
#[derive(Debug, Clone)]
pub(crate) struct ToolIds {
    hex: [u8; 24],
}

impl ToolIds {
    pub(crate) fn new(answer_id: &str) -> Self {
        let mut hex = [b'0'; 24];
        let digits = answer_id
            .bytes()
            .rev()
            .filter(u8::is_ascii_hexdigit)
            .map(|b| b.to_ascii_lowercase());
        for (slot, d) in hex.iter_mut().rev().zip(digits) {
            *slot = d;
        }
        ToolIds { hex }
    }

    pub(crate) fn write(&self, index: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\"call_");
        out.extend_from_slice(&self.hex);
        let mut tail = [0u8; 4];
        for (i, slot) in tail.iter_mut().enumerate() {
            *slot = b"0123456789abcdef"[(index >> (12 - 4 * i)) & 0xf];
        }
        out.extend_from_slice(&tail);
        out.push(b'"');
    }
}

/// What one candidate's parts hold, as LiteLLM reads them.
#[derive(Debug, Default)]
pub(crate) struct Parts<'b> {
    /// Non-thought text (and non-media inline data) joined; `None` when there was none.
    pub(crate) text: Option<String>,
    /// Thought text joined; `None` when there was none.
    pub(crate) reasoning: Option<String>,
    /// The `functionCall` values, in order.
    pub(crate) calls: Vec<&'b [u8]>,
    /// `thinking_blocks` items.
    pub(crate) thinking: Vec<Vec<u8>>,
    /// `images` items.
    pub(crate) images: Vec<Vec<u8>>,
    /// `thoughtSignature` values, raw JSON strings.
    pub(crate) signatures: Vec<&'b [u8]>,
}

impl<'b> Parts<'b> {
    pub(crate) fn read(parts: &[&'b [u8]]) -> Parts<'b> {
        let mut out = Parts::default();
        for part in parts {
            let [text, thought, inline, call, signature] = fields(
                part,
                [
                    "text",
                    "thought",
                    "inlineData",
                    "functionCall",
                    "thoughtSignature",
                ],
            );
            let is_thought = thought == Some(b"true");
            let signature = signature.filter(|s| s.first() == Some(&b'"'));
            out.signatures.extend(signature);
            let text = text.and_then(string);
            let mut piece = String::new();
            if let Some(t) = &text {
                piece.push_str(t);
            } else if let Some(inline) = inline {
                let [mime, data] = fields(inline, ["mimeType", "data"]);
                let mime = mime.and_then(string).unwrap_or_default();
                let data = data.and_then(string).unwrap_or_default();
                if mime.starts_with("image/") {
                    let mut img = Vec::with_capacity(data.len() + 96);
                    img.extend_from_slice(b"{\"image_url\":{\"url\":");
                    write_json_string(&format!("data:{mime};base64,{data}"), &mut img);
                    img.extend_from_slice(
                        b",\"detail\":\"auto\"},\"index\":0,\"type\":\"image_url\"}",
                    );
                    out.images.push(img);
                } else if !mime.starts_with("audio/") {
                    piece = format!("data:{mime};base64,{data}");
                }
            }
            if is_thought {
                let thinking = text.as_deref().unwrap_or("");
                let mut block = Vec::with_capacity(thinking.len() + 48);
                block.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":");
                write_json_string(thinking, &mut block);
                if let Some(s) = signature {
                    block.extend_from_slice(b",\"signature\":");
                    block.extend_from_slice(s);
                }
                block.push(b'}');
                out.thinking.push(block);
            }
            if !piece.is_empty() {
                let slot = if is_thought {
                    &mut out.reasoning
                } else {
                    &mut out.text
                };
                slot.get_or_insert_with(String::new).push_str(&piece);
            }
            out.calls.extend(call);
        }
        out
    }

    /// The message members after `content` and `role`, in the order LiteLLM's `Message`
    /// serialises them; tool calls are numbered from `first_call` on.
    fn write_message_rest(&self, ids: &ToolIds, first_call: usize, out: &mut Vec<u8>) {
        if !self.calls.is_empty() {
            self.write_tool_calls(ids, first_call, CallOrder::Answer, out);
        }
        out.extend_from_slice(b",\"images\":[");
        out.extend_from_slice(&self.images.join(&b","[..]));
        out.push(b']');
        if let Some(r) = &self.reasoning {
            out.extend_from_slice(b",\"reasoning_content\":");
            write_json_string(r, out);
        }
        out.extend_from_slice(b",\"thinking_blocks\":[");
        out.extend_from_slice(&self.thinking.join(&b","[..]));
        out.push(b']');
        if !self.signatures.is_empty() {
            out.push(b',');
            self.write_signatures(out);
        }
    }

    /// `"tool_calls":[...]` (a comma first), numbered from `first` on.
    pub(crate) fn write_tool_calls(
        &self,
        ids: &ToolIds,
        first: usize,
        order: CallOrder,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(b",\"tool_calls\":[");
        for (n, call) in self.calls.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_tool_call(call, ids, first + n, order, out);
        }
        out.push(b']');
    }

    /// `"provider_specific_fields":{"thought_signatures":[...]}`.
    pub(crate) fn write_signatures(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\"provider_specific_fields\":{\"thought_signatures\":[");
        out.extend_from_slice(&self.signatures.join(&b","[..]));
        out.extend_from_slice(b"]}");
    }
}

/// The member order of a tool call: LiteLLM's whole answer writes `index`, `function`, `id`,
/// `type`; its stream chunks `id`, `function`, `type`, `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallOrder {
    Answer,
    Chunk,
}

/// One `functionCall` as an OpenAI tool call (`_transform_parts`): `arguments` is
/// `json.dumps(args, ensure_ascii=False)`, the id Gemini's own (`functionCall.id`) when it
/// sent one, else derived.
fn write_tool_call(call: &[u8], ids: &ToolIds, index: usize, order: CallOrder, out: &mut Vec<u8>) {
    let [name, args, id] = fields(call, ["name", "args", "id"]);
    let mut num = itoa::Buffer::new();
    let index_text = num.format(index).as_bytes();
    let write_id = |out: &mut Vec<u8>| match id.and_then(string).filter(|i| !i.is_empty()) {
        Some(id) => write_json_string(&id, out),
        None => ids.write(index, out),
    };
    out.push(b'{');
    match order {
        CallOrder::Answer => {
            out.extend_from_slice(b"\"index\":");
            out.extend_from_slice(index_text);
            out.push(b',');
        }
        CallOrder::Chunk => {
            out.extend_from_slice(b"\"id\":");
            write_id(out);
            out.push(b',');
        }
    }
    out.extend_from_slice(b"\"function\":{\"arguments\":");
    write_py_dumps_string_unicode(args.unwrap_or(b"null"), out);
    out.extend_from_slice(b",\"name\":");
    write_json_string(&name.and_then(string).unwrap_or_default(), out);
    match order {
        CallOrder::Answer => {
            out.extend_from_slice(b"},\"id\":");
            write_id(out);
            out.extend_from_slice(b",\"type\":\"function\"}");
        }
        CallOrder::Chunk => {
            out.extend_from_slice(b"},\"type\":\"function\",\"index\":");
            out.extend_from_slice(index_text);
            out.push(b'}');
        }
    }
}

/// The candidates' metadata LiteLLM lists at the top of the answer.
#[derive(Debug, Default)]
struct Metadata<'b> {
    grounding: Vec<&'b [u8]>,
    url_context: Vec<&'b [u8]>,
    safety: Vec<&'b [u8]>,
    citation: Vec<&'b [u8]>,
}

impl<'b> Metadata<'b> {
    fn add(
        &mut self,
        grounding: Option<&'b [u8]>,
        safety: Option<&'b [u8]>,
        citation: Option<&'b [u8]>,
        url_context: Option<&'b [u8]>,
    ) {
        // A list of hops is spread, a single object kept (`per_hop`); safety ratings are
        // listed per candidate.
        let spread = |v: &'b [u8], into: &mut Vec<&'b [u8]>| match elements(v) {
            Some(items) => into.extend(items),
            None => into.push(v),
        };
        if let Some(v) = grounding {
            spread(v, &mut self.grounding);
        }
        if let Some(v) = url_context {
            spread(v, &mut self.url_context);
        }
        if let Some(v) = safety {
            self.safety.push(v);
        }
        if let Some(v) = citation {
            spread(v, &mut self.citation);
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        for (name, items) in [
            ("vertex_ai_grounding_metadata", &self.grounding),
            ("vertex_ai_url_context_metadata", &self.url_context),
            ("vertex_ai_safety_results", &self.safety),
            ("vertex_ai_citation_metadata", &self.citation),
        ] {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":[");
            out.extend_from_slice(&items.join(&b","[..]));
            out.push(b']');
        }
    }
}

/// Gemini's `usageMetadata` counts, read as `_calculate_usage` reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GeminiUsage {
    prompt: u64,
    candidates: u64,
    total: u64,
    thoughts: Option<u64>,
    cached: Option<u64>,
    tool_use: Option<u64>,
    /// By modality (TEXT and DOCUMENT count as text): text, audio, image, video.
    prompt_by: [Option<u64>; 4],
    candidates_by: [Option<u64>; 4],
    cached_by: [Option<u64>; 4],
    has_cache_details: bool,
    has_candidate_details: bool,
}

const TEXT: usize = 0;
const AUDIO: usize = 1;
const IMAGE: usize = 2;
const VIDEO: usize = 3;

impl GeminiUsage {
    pub(crate) fn read(usage: &[u8]) -> GeminiUsage {
        let int = |v: &[u8]| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok();
        let mut u = GeminiUsage::default();
        for m in top_members(usage).into_iter().flatten() {
            let v = &usage[m.value.clone()];
            match &usage[m.key.clone()] {
                b"promptTokenCount" => u.prompt = int(v).unwrap_or(0),
                b"candidatesTokenCount" => u.candidates = int(v).unwrap_or(0),
                b"totalTokenCount" => u.total = int(v).unwrap_or(0),
                b"thoughtsTokenCount" => u.thoughts = int(v),
                b"cachedContentTokenCount" => u.cached = int(v),
                b"toolUsePromptTokenCount" => u.tool_use = int(v).filter(|&n| n > 0),
                b"promptTokensDetails" => u.prompt_by = by_modality(v),
                b"candidatesTokensDetails" => {
                    u.has_candidate_details = true;
                    u.candidates_by = by_modality(v);
                }
                b"cacheTokensDetails" => {
                    u.has_cache_details = true;
                    u.cached_by = by_modality(v);
                }
                _ => {}
            }
        }
        u
    }

    /// The three counts of a filtered answer (no thoughts or tool use added).
    fn plain(&self) -> Usage {
        Usage::counts(self.prompt, self.candidates, self.total)
    }

    /// The billed counts: thoughts are added to the candidates' count unless the total shows
    /// it already holds them (`is_candidate_token_count_inclusive`).
    pub(crate) fn billed(&self) -> Usage {
        let tool_use = self.tool_use.unwrap_or(0);
        let inclusive = self.prompt + self.candidates + tool_use == self.total;
        let thoughts = self.thoughts.unwrap_or(0);
        let completion = if !inclusive && thoughts > 0 {
            self.candidates + thoughts
        } else {
            self.candidates
        };
        Usage {
            cached_tokens: self.cached.unwrap_or(0),
            reasoning_tokens: thoughts,
            ..Usage::counts(self.prompt + tool_use, completion, self.total)
        }
    }

    /// Writes the usage object as LiteLLM serialises `_calculate_usage`'s result; returns the
    /// billed counts.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Usage {
        let billed = self.billed();
        self.write_as(billed, out);
        billed
    }

    /// As [`GeminiUsage::write`] with the three counts given.
    pub(crate) fn write_as(&self, billed: Usage, out: &mut Vec<u8>) {
        write_counts(&billed, out);
        // completion_tokens_details: audio, reasoning, text, image, video.
        let mut details = self.candidates_by;
        if self.candidates > 0 && details[TEXT].is_none() {
            let media = details[AUDIO].unwrap_or(0)
                + details[IMAGE].unwrap_or(0)
                + details[VIDEO].unwrap_or(0);
            details[TEXT] = Some(self.candidates.saturating_sub(media));
        }
        let has_details =
            self.has_candidate_details || self.candidates > 0 || self.thoughts.is_some();
        if has_details {
            out.extend_from_slice(b",\"completion_tokens_details\":{");
            let mut w = Members::new(out);
            w.write_u64("audio_tokens", details[AUDIO]);
            w.write_u64("reasoning_tokens", self.thoughts);
            w.write_u64("text_tokens", details[TEXT]);
            w.write_u64("image_tokens", details[IMAGE]);
            w.write_u64("video_tokens", details[VIDEO]);
            out.push(b'}');
        }
        // prompt_tokens_details: audio, cached, text (less the cached when no cache
        // breakdown, plus billable tool use), image, video (less cached video), tool use.
        let mut prompt = self.prompt_by;
        if let (Some(c), Some(t)) = (self.cached, prompt[TEXT]) {
            if self.cached_by[TEXT].is_none() && !self.has_cache_details {
                prompt[TEXT] = Some(t.saturating_sub(c));
            }
        }
        if let (Some(cv), Some(v)) = (self.cached_by[VIDEO], prompt[VIDEO]) {
            prompt[VIDEO] = Some(v.saturating_sub(cv));
        }
        if let Some(t) = prompt[TEXT].as_mut() {
            *t += self.tool_use.unwrap_or(0);
        }
        out.extend_from_slice(b",\"prompt_tokens_details\":{");
        let mut w = Members::new(out);
        w.write_u64("audio_tokens", prompt[AUDIO]);
        w.write_u64("cached_tokens", self.cached);
        w.write_u64("text_tokens", prompt[TEXT]);
        w.write_u64("image_tokens", prompt[IMAGE]);
        w.write_u64("video_tokens", prompt[VIDEO]);
        w.write_u64("tool_use_tokens", self.tool_use);
        if self.cached_by[..3].iter().any(Option::is_some) {
            w.key("cached_tokens_details");
            out.push(b'{');
            let mut d = Members::new(out);
            d.write_u64("text_tokens", self.cached_by[TEXT]);
            d.write_u64("audio_tokens", self.cached_by[AUDIO]);
            d.write_u64("image_tokens", self.cached_by[IMAGE]);
            out.push(b'}');
        }
        out.push(b'}');
        if let Some(c) = self.cached {
            out.extend_from_slice(b",\"cache_read_input_tokens\":");
            write_u64(c, out);
        }
        out.push(b'}');
    }
}

/// Token counts of a `*TokensDetails` list by modality (DOCUMENT counts as text).
fn by_modality(list: &[u8]) -> [Option<u64>; 4] {
    let mut by = [None; 4];
    for item in elements(list).unwrap_or_default() {
        let [modality, count] = fields(item, ["modality", "tokenCount"]);
        let count = count
            .and_then(|c| std::str::from_utf8(c).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let slot = match modality
            .and_then(string)
            .map(|m| m.to_ascii_uppercase())
            .as_deref()
        {
            Some("TEXT" | "DOCUMENT") => TEXT,
            Some("AUDIO") => AUDIO,
            Some("IMAGE") => IMAGE,
            Some("VIDEO") => VIDEO,
            _ => continue,
        };
        *by[slot].get_or_insert(0) += count;
    }
    by
}

/// Writes the members of an open JSON object, commas between them.
struct Members<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Members<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        Members { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn write_u64(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value {
            self.key(key);
            write_u64(v, self.out);
        }
    }
}
