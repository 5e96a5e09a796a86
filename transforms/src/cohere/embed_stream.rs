//! A `/v2/embed` answer too large to hold (over the relay's 256 KiB), translated as it
//! arrives into the same client answer [`super::embed_response`] writes: the vectors of each
//! type copied as they came into `data` items (`index` restarting per type), everything else
//! dropped but `meta.billed_units`' `input_tokens` and `images`, which make the usage written
//! at the end. The answer is read with the streaming [`Validator`], so memory stays constant
//! whatever its size; an answer that stops being JSON stops being copied (the client's body
//! is then cut short, as any broken upstream body is).

use super::embed::MAX_COUNT_LEN;
use crate::json::validate::{Kind, Validator, Visitor};
use crate::json::{write_json_string, write_u64};
use crate::usage::Usage;

/// Bytes kept of a key or a billed count: longer ones are none the rewriter reads.
const MAX_CAPTURE: usize = 32;

/// Which top-level member the validator is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Embeddings,
    Meta,
    Other,
}

/// Which billed count a number is, inside `meta.billed_units`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Billed {
    InputTokens,
    Images,
}

/// The translation state across pieces.
#[derive(Debug)]
pub struct EmbedRewriter {
    validator: Validator,
    member: Member,
    /// Inside `meta`: the member of depth 2 is `billed_units`.
    in_billed: bool,
    /// Inside `meta.billed_units`: the count the current key names.
    billed_key: Option<Billed>,
    key: Vec<u8>,
    /// The number being read when it is a billed count: which, where its unread bytes start,
    /// its bytes so far.
    number: Option<(Billed, usize, Vec<u8>)>,
    /// Offset of the next byte fed.
    offset: usize,
    input_tokens: Option<u64>,
    images: Option<u64>,
    /// Offset where the vector being copied starts (or resumes in this piece).
    copying: Option<usize>,
    /// An `embeddings` member was met (a second one fails the translation).
    seen_embeddings: bool,
    /// Index of the next vector of the current type; whether one was written yet.
    index: u64,
    written: bool,
    failed: bool,
    /// The answer's opening, written before the first piece.
    opening: Option<Vec<u8>>,
    counted: u64,
    usage: Option<Usage>,
}

impl EmbedRewriter {
    /// A translation into the client's answer for `model` (the model group); `counted` is the
    /// prompt token count used when Cohere bills none.
    pub fn new(model: &str, counted: u64) -> Self {
        let mut opening = Vec::with_capacity(model.len() + 24);
        opening.extend_from_slice(b"{\"model\":");
        write_json_string(model, &mut opening);
        opening.extend_from_slice(b",\"data\":[");
        EmbedRewriter {
            opening: Some(opening),
            validator: Validator::new(),
            member: Member::Other,
            in_billed: false,
            billed_key: None,
            key: Vec::new(),
            number: None,
            offset: 0,
            input_tokens: None,
            images: None,
            copying: None,
            seen_embeddings: false,
            index: 0,
            written: false,
            failed: false,
            counted,
            usage: None,
        }
    }

    /// Translates the next piece of the answer into `out`.
    pub fn feed(&mut self, piece: &[u8], out: &mut Vec<u8>) {
        if let Some(opening) = self.opening.take() {
            out.extend_from_slice(&opening);
        }
        if self.failed {
            return;
        }
        let mut validator = std::mem::take(&mut self.validator);
        let base = self.offset;
        let mut pass = Pass {
            state: self,
            piece,
            base,
            out,
        };
        let result = validator.feed(piece, &mut pass);
        let end = base + piece.len();
        if pass.state.failed {
            pass.state.copying = None;
        }
        if let Some(from) = pass.state.copying {
            pass.out
                .extend_from_slice(&piece[from.saturating_sub(base).min(piece.len())..]);
            pass.state.copying = Some(end);
        }
        if let Some((_, from, digits)) = &mut pass.state.number {
            let rest = &piece[from.saturating_sub(base).min(piece.len())..];
            let room = (MAX_COUNT_LEN + 1).saturating_sub(digits.len());
            digits.extend_from_slice(&rest[..rest.len().min(room)]);
            *from = end;
        }
        self.validator = validator;
        self.offset = end;
        if result.is_err() {
            self.failed = true;
        }
    }

    /// The end of the answer: the usage and the closing brackets.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some(opening) = self.opening.take() {
            out.extend_from_slice(&opening);
        }
        if self.failed || self.copying.is_some() {
            return;
        }
        let billed = self.input_tokens.is_some() || self.images.is_some();
        let prompt = if billed {
            self.input_tokens
                .unwrap_or(0)
                .saturating_add(self.images.unwrap_or(0))
        } else {
            self.counted
        };
        out.extend_from_slice(
            b"],\"object\":\"list\",\"usage\":{\"completion_tokens\":0,\"prompt_tokens\":",
        );
        write_u64(prompt, out);
        out.extend_from_slice(b",\"total_tokens\":");
        write_u64(prompt, out);
        out.extend_from_slice(b",\"completion_tokens_details\":null,\"prompt_tokens_details\":");
        if billed {
            let opt = |n: Option<u64>, out: &mut Vec<u8>| match n {
                Some(n) => write_u64(n, out),
                None => out.extend_from_slice(b"null"),
            };
            out.extend_from_slice(
                b"{\"audio_tokens\":null,\"cached_tokens\":null,\"image_tokens\":",
            );
            opt(self.images, out);
            out.extend_from_slice(b",\"text_tokens\":");
            opt(self.input_tokens, out);
            out.extend_from_slice(b",\"video_tokens\":null,\"initial_prompt_tokens\":null}");
        } else {
            out.extend_from_slice(b"null");
        }
        out.extend_from_slice(b"}}");
        self.usage = Some(Usage::counts(prompt, 0, prompt));
    }

    /// Whether the answer stopped being readable (the client's body is then cut short).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The usage, once [`finish`](Self::finish) wrote it.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }
}

/// One piece's visit: the state, the piece and where it starts in the answer.
struct Pass<'a, 'p> {
    state: &'a mut EmbedRewriter,
    piece: &'p [u8],
    base: usize,
    out: &'a mut Vec<u8>,
}

impl Pass<'_, '_> {
    fn slice(&self, from: usize, to: usize) -> &[u8] {
        let from = from.saturating_sub(self.base).min(self.piece.len());
        let to = to.saturating_sub(self.base).min(self.piece.len());
        &self.piece[from..to.max(from)]
    }
}

impl Visitor for Pass<'_, '_> {
    fn value(&mut self, depth: usize, at: usize, kind: Kind) -> bool {
        let s = &mut *self.state;
        if s.failed {
            return false;
        }
        match (s.member, depth) {
            // Only a map of types to vectors is read (LiteLLM fails on other shapes).
            (Member::Embeddings, 1) if kind != Kind::Object => s.member = Member::Other,
            // A type's list of vectors: its numbering starts again.
            (Member::Embeddings, 2) => s.index = 0,
            (Member::Embeddings, 3) => {
                if std::mem::replace(&mut s.written, true) {
                    self.out.push(b',');
                }
                self.out
                    .extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
                write_u64(s.index, self.out);
                self.out.extend_from_slice(b",\"embedding\":");
                s.index += 1;
                s.copying = Some(at);
            }
            (Member::Meta, 3) if s.in_billed && kind == Kind::Number => {
                if let Some(which) = s.billed_key {
                    s.number = Some((which, at, Vec::new()));
                }
            }
            _ => {}
        }
        false
    }

    fn value_end(&mut self, depth: usize, end: usize) {
        if self.state.failed {
            return;
        }
        match (self.state.member, depth) {
            (Member::Embeddings, 3) => {
                if let Some(from) = self.state.copying.take() {
                    let bytes = self.slice(from, end).to_vec();
                    self.out.extend_from_slice(&bytes);
                    self.out.push(b'}');
                }
            }
            (Member::Meta, 3) => {
                if let Some((which, from, mut digits)) = self.state.number.take() {
                    // The number's bytes end here; those of earlier pieces were kept.
                    let tail = self.slice(from, end);
                    let room = (MAX_COUNT_LEN + 1).saturating_sub(digits.len());
                    digits.extend_from_slice(&tail[..tail.len().min(room)]);
                    // As the whole translation reads counts: a longer number is none.
                    let n = (digits.len() <= MAX_COUNT_LEN)
                        .then_some(digits.as_slice())
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .and_then(|t| t.trim().parse::<f64>().ok())
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .map(|n| n as u64);
                    match which {
                        Billed::InputTokens => self.state.input_tokens = n,
                        Billed::Images => self.state.images = n,
                    }
                }
            }
            (_, 1) => self.state.member = Member::Other,
            (Member::Meta, 2) => self.state.in_billed = false,
            _ => {}
        }
    }

    fn key(&mut self, depth: usize) -> bool {
        self.state.key.clear();
        matches!(
            (self.state.member, depth),
            (_, 1) | (Member::Meta, 2) | (Member::Meta, 3)
        )
    }

    fn key_end(&mut self, depth: usize) {
        let s = &mut *self.state;
        let key = s.key.as_slice();
        // A repeated key replaces what the earlier one gave, as the last one wins in the
        // whole translation (and in LiteLLM's `json.loads`).
        match depth {
            1 => {
                s.member = match key {
                    b"embeddings" => Member::Embeddings,
                    b"meta" => Member::Meta,
                    _ => Member::Other,
                };
                match s.member {
                    Member::Embeddings if std::mem::replace(&mut s.seen_embeddings, true) => {
                        s.failed = true;
                    }
                    Member::Meta => (s.input_tokens, s.images) = (None, None),
                    _ => {}
                }
            }
            2 if s.member == Member::Meta => {
                s.in_billed = key == b"billed_units";
                if s.in_billed {
                    (s.input_tokens, s.images) = (None, None);
                }
            }
            3 if s.member == Member::Meta && s.in_billed => {
                s.billed_key = match key {
                    b"input_tokens" => Some(Billed::InputTokens),
                    b"images" => Some(Billed::Images),
                    _ => None,
                };
                match s.billed_key {
                    Some(Billed::InputTokens) => s.input_tokens = None,
                    Some(Billed::Images) => s.images = None,
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, bytes: &[u8]) {
        let room = MAX_CAPTURE.saturating_sub(self.state.key.len());
        self.state
            .key
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The streamed translation equals the whole one, however the answer is cut.
    #[test]
    fn pieces_of_any_size_give_the_whole_translation() {
        let answer = br#"{"id":"e","embeddings":{"float":[[0.1,-2e-3],[0.25,1]],"base64":["AAAAPw==","AACAPw=="]},
            "texts":["a","b"],"response_type":"embeddings_by_type","meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":1234,"images":2}}}"#;
        let mut whole = Vec::new();
        let want = super::super::embed_response(answer, "coembed", 9, &mut whole).unwrap();
        for size in [1, 2, 3, 7, 64, answer.len()] {
            let mut out = Vec::new();
            let mut r = EmbedRewriter::new("coembed", 9);
            for piece in answer.chunks(size) {
                r.feed(piece, &mut out);
            }
            r.finish(&mut out);
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
                serde_json::from_slice::<serde_json::Value>(&whole).unwrap(),
                "pieces of {size}: {}",
                String::from_utf8_lossy(&out)
            );
            assert_eq!(r.usage(), Some(want));
        }
    }

    /// Found by the `cohere_embed_stream` fuzz target: a repeated `meta` replaces the billed
    /// units of the first, as the whole translation reads the last.
    #[test]
    fn a_repeated_member_reads_as_the_whole_translation_reads_it() {
        let answer = br#"{"embeddings":{"float":[[1.5]]},"meta":{"billed_units":{"images":3}},"meta":{"x":"2"}}"#;
        let mut whole = Vec::new();
        super::super::embed_response(answer, "m", 4, &mut whole).unwrap();
        let mut out = Vec::new();
        let mut r = EmbedRewriter::new("m", 4);
        r.feed(answer, &mut out);
        r.finish(&mut out);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
            serde_json::from_slice::<serde_json::Value>(&whole).unwrap()
        );
        // A second `embeddings` is refused by both.
        let twice = br#"{"embeddings":{"float":[[1]]},"embeddings":{"float":[[2]]}}"#;
        assert!(super::super::embed_response(twice, "m", 4, &mut whole).is_err());
        let mut r = EmbedRewriter::new("m", 4);
        r.feed(twice, &mut out);
        r.finish(&mut out);
        assert!(r.usage().is_none());
    }

    #[test]
    fn without_billed_units_the_count_is_used() {
        let mut out = Vec::new();
        let mut r = EmbedRewriter::new("m", 5);
        r.feed(br#"{"embeddings":{"float":[[1]]}}"#, &mut out);
        r.finish(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["usage"]["prompt_tokens"], 5);
        assert_eq!(v["usage"]["prompt_tokens_details"], serde_json::Value::Null);
        assert_eq!(v["data"][0]["embedding"], serde_json::json!([1]));
    }

    #[test]
    fn an_answer_that_stops_being_json_stops_being_copied() {
        let mut out = Vec::new();
        let mut r = EmbedRewriter::new("m", 5);
        r.feed(br#"{"embeddings":{"float":[[1}"#, &mut out);
        r.finish(&mut out);
        assert!(r.usage().is_none());
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_err());
    }
}
