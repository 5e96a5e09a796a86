//! The few request-body fields the mock reads, deserialised into a typed struct.

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Fields of an OpenAI or Anthropic request body that shape the mock's answer; the rest
/// (messages, tools, ...) is skipped without being built.
#[derive(Debug, Default, Deserialize)]
pub struct ApiRequest {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    /// Embeddings input, reduced to how many embeddings it asks for.
    #[serde(default)]
    pub input: Option<InputCount>,
    #[serde(default)]
    pub dimensions: Option<u64>,
    #[serde(default)]
    pub encoding_format: Option<String>,
    /// Echoed in a chat completion as the tier served, as OpenAI answers a request naming one.
    #[serde(default)]
    pub service_tier: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

impl ApiRequest {
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    pub fn streams(&self) -> bool {
        self.stream == Some(true)
    }

    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|options| options.include_usage)
            == Some(true)
    }
}

/// Number of inputs in an embeddings `input`: a string is one; an array of strings or of
/// token arrays is its length; a flat array of token ids is one tokenised input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputCount(pub usize);

impl<'de> Deserialize<'de> for InputCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = InputCount;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, an array of strings, or token arrays")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<InputCount, E> {
        Ok(InputCount(1))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InputCount, A::Error> {
        let mut items = 0;
        let mut all_tokens = true;
        while let Some(item) = seq.next_element::<InputItem>()? {
            items += 1;
            all_tokens &= item == InputItem::Token;
        }
        Ok(InputCount(if items > 0 && all_tokens { 1 } else { items }))
    }
}

/// One element of an input array: a token id, or a whole input (string or token array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputItem {
    Token,
    Input,
}

impl<'de> Deserialize<'de> for InputItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = InputItem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, a token id or a token array")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<InputItem, E> {
        Ok(InputItem::Token)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<InputItem, E> {
        Ok(InputItem::Token)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<InputItem, E> {
        Ok(InputItem::Input)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InputItem, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(InputItem::Input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn count(json: &str) -> Option<usize> {
        ApiRequest::parse(json.as_bytes())
            .unwrap()
            .input
            .map(|input| input.0)
    }

    #[test]
    fn counts_embedding_inputs() {
        assert_eq!(count(r#"{"input":"one"}"#), Some(1));
        assert_eq!(count(r#"{"input":["a","b","c"]}"#), Some(3));
        assert_eq!(count(r#"{"input":[1,2,3,4]}"#), Some(1));
        assert_eq!(count(r#"{"input":[[1,2],[3],[4,5,6]]}"#), Some(3));
        assert_eq!(count(r#"{"input":[]}"#), Some(0));
        assert_eq!(count(r#"{"model":"m"}"#), None);
        assert!(ApiRequest::parse(br#"{"input":{"a":1}}"#).is_err());
    }

    #[test]
    fn reads_stream_flags_and_skips_the_rest() {
        let request = ApiRequest::parse(
            br#"{"messages":[{"role":"user","content":"hi \"x\""}],"model":"gpt-x",
                "stream":true,"stream_options":{"include_usage":true},"tools":[{}]}"#,
        )
        .unwrap();
        assert_eq!(request.model.as_deref(), Some("gpt-x"));
        assert!(request.streams() && request.include_usage());
        let plain = ApiRequest::parse(br#"{"model":"m","stream":null}"#).unwrap();
        assert!(!plain.streams() && !plain.include_usage());
    }
}
