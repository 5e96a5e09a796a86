//! Gemini (Google AI Studio) `generateContent` bodies and the `streamGenerateContent?alt=sse`
//! stream, in the shapes of ai.google.dev's API reference ("Generating content").
//!
//! The model is named in the path (`/models/{model}:generateContent`), not the body, so
//! `modelVersion` echoes the path's model.

use super::openai::{push_number, word, CONTENT, PROMPT_TOKENS, WORDS};

/// Which Gemini endpoint a path names, from its `:{method}` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Generate,
    StreamGenerate,
    BatchEmbed,
    /// `countTokens`: a fixed rule tests can predict, a token per 4 bytes of the body.
    CountTokens,
}

impl Method {
    /// The method and model of `/…/models/{model}:{method}` (or `/…/endpoints/{id}:{method}`).
    pub fn from_path(path: &str) -> Option<(Self, &str)> {
        let (head, method) = path.rsplit_once(':')?;
        let method = match method {
            "generateContent" => Self::Generate,
            "streamGenerateContent" => Self::StreamGenerate,
            "batchEmbedContents" => Self::BatchEmbed,
            "countTokens" => Self::CountTokens,
            _ => return None,
        };
        // Vertex AI addresses a tuned model as an endpoint of the project.
        let (_, model) = head
            .rsplit_once("/models/")
            .or_else(|| head.rsplit_once("/endpoints/"))?;
        (!model.is_empty() && !model.contains('/')).then_some((method, model))
    }
}

/// `countTokens`' answer (ai.google.dev "Counting tokens"): `totalTokens`, a token per 4
/// bytes of the request body, for a body with `contents` at the top or inside a
/// `generateContentRequest`; `None` for another body.
pub fn count_answer(body: &[u8]) -> Option<String> {
    let request: serde_json::Value = serde_json::from_slice(body).ok()?;
    let contents = request
        .get("contents")
        .or_else(|| request.pointer("/generateContentRequest/contents"))?;
    contents.as_array()?;
    let tokens = body.len().div_ceil(4);
    Some(format!(
        r#"{{"totalTokens":{tokens},"promptTokensDetails":[{{"modality":"TEXT","tokenCount":{tokens}}}]}}"#
    ))
}

fn usage(out: &mut Vec<u8>, candidates: usize) {
    out.extend_from_slice(b",\"usageMetadata\":{\"promptTokenCount\":");
    push_number(out, PROMPT_TOKENS);
    out.extend_from_slice(b",\"candidatesTokenCount\":");
    push_number(out, candidates);
    out.extend_from_slice(b",\"totalTokenCount\":");
    push_number(out, PROMPT_TOKENS + candidates);
    out.push(b'}');
}

fn candidate(out: &mut Vec<u8>, text: &str, finished: bool) {
    out.extend_from_slice(b"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"");
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\"}],\"role\":\"model\"}");
    if finished {
        out.extend_from_slice(b",\"finishReason\":\"STOP\"");
    }
    out.extend_from_slice(b",\"index\":0}]");
}

fn tail(out: &mut Vec<u8>, model: &str) {
    out.extend_from_slice(b",\"modelVersion\":");
    out.extend_from_slice(model.as_bytes());
    out.extend_from_slice(b",\"responseId\":\"mock-gemini\"}");
}

/// Non-stream `GenerateContentResponse`; `model` is already a JSON string literal.
pub fn generate(out: &mut Vec<u8>, model: &str, with_usage: bool) {
    candidate(out, CONTENT, true);
    if with_usage {
        usage(out, WORDS.len());
    }
    tail(out, model);
}

/// One `data: {...}\r\n\r\n` event of a stream with `chunks` text parts; the last carries
/// `finishReason` and the usage, as Gemini's streams do.
#[derive(Debug, Clone, Copy)]
pub struct GeminiEvent<'a> {
    pub model: &'a str,
    pub chunks: usize,
    pub with_usage: bool,
}

impl GeminiEvent<'_> {
    pub fn count(&self) -> usize {
        self.chunks.max(1)
    }

    pub fn render(&self, index: usize, out: &mut Vec<u8>) {
        let last = index + 1 == self.count();
        out.extend_from_slice(b"data: ");
        candidate(out, if self.chunks == 0 { "" } else { word(index) }, last);
        if self.with_usage {
            usage(out, if last { self.chunks } else { index + 1 });
        }
        tail(out, self.model);
        out.extend_from_slice(b"\r\n\r\n");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn methods_come_from_the_path() {
        assert_eq!(
            Method::from_path("/v1beta/models/gemini-2.5-flash:generateContent"),
            Some((Method::Generate, "gemini-2.5-flash"))
        );
        assert_eq!(
            Method::from_path("/models/m:streamGenerateContent"),
            Some((Method::StreamGenerate, "m"))
        );
        assert_eq!(
            Method::from_path("/v1beta/models/text-embedding-004:batchEmbedContents"),
            Some((Method::BatchEmbed, "text-embedding-004"))
        );
        assert_eq!(
            Method::from_path("/v1/projects/p/locations/l/endpoints/123:generateContent"),
            Some((Method::Generate, "123"))
        );
        assert_eq!(Method::from_path("/models/:generateContent"), None);
        assert_eq!(
            Method::from_path("/models/m:countTokens"),
            Some((Method::CountTokens, "m"))
        );
        assert_eq!(Method::from_path("/v1/chat/completions"), None);
    }

    #[test]
    fn answer_is_valid() {
        let mut out = Vec::new();
        generate(&mut out, "\"gemini-2.5-flash\"", true);
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            value["candidates"][0]["content"]["parts"][0]["text"],
            CONTENT
        );
        assert_eq!(value["candidates"][0]["finishReason"], "STOP");
        assert_eq!(value["usageMetadata"]["totalTokenCount"], 16);
        assert_eq!(value["modelVersion"], "gemini-2.5-flash");
    }

    #[test]
    fn stream_finishes_on_its_last_event() {
        let stream = GeminiEvent {
            model: "\"g\"",
            chunks: 3,
            with_usage: true,
        };
        let mut text = String::new();
        for index in 0..stream.count() {
            let mut out = Vec::new();
            stream.render(index, &mut out);
            let line = std::str::from_utf8(&out).unwrap();
            let data = line.strip_prefix("data: ").unwrap();
            assert!(data.ends_with("\r\n\r\n"));
            let value: Value = serde_json::from_str(data.trim_end()).unwrap();
            let candidate = &value["candidates"][0];
            text.push_str(candidate["content"]["parts"][0]["text"].as_str().unwrap());
            assert_eq!(candidate.get("finishReason").is_some(), index == 2);
        }
        assert_eq!(text, "Hello from the");
    }
}
