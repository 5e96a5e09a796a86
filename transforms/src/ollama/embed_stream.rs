//! A large `/api/embed` answer translated as it arrives, so that an embeddings batch of any
//! size costs the gateway a read buffer, not the whole answer: each vector of `embeddings` is
//! copied into the client's `data` list as its bytes pass, `prompt_eval_count` is read where
//! it is, and the document is validated on the way ([`crate::json::validate`]). The output is
//! the one [`super::embed_response`] writes for a held answer.

use crate::json::validate::{Kind, Validator, Visitor};
use crate::json::write_json_string;
use crate::usage::{write_counts, Usage};

/// Longest top-level key worth reading (`prompt_eval_count`); longer ones are other keys.
const MAX_KEY: usize = 32;
/// Longest count worth reading (a u64 has at most 20 digits).
const MAX_COUNT: usize = 24;

/// Translates one `/api/embed` answer fed in pieces.
#[derive(Debug)]
pub struct EmbedRewriter {
    validator: Validator,
    /// Document offset of the next piece.
    offset: usize,
    scan: Scan,
}

/// What the rewriter knows between pieces.
#[derive(Debug, Default)]
struct Scan {
    /// `{"model":<requested>,"data":[`, written before the first vector.
    opening: Vec<u8>,
    opened: bool,
    key: Vec<u8>,
    field: Field,
    in_embeddings: bool,
    saw_embeddings: bool,
    /// Vectors written so far.
    index: u64,
    /// Offset in the document from which the current vector is still to be copied.
    copy_from: Option<usize>,
    /// Offset where `prompt_eval_count`'s number starts, while it is read.
    count_from: Option<usize>,
    count: Vec<u8>,
    prompt_tokens: Option<u64>,
    failed: bool,
}

/// The top-level member being read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Field {
    #[default]
    Other,
    Embeddings,
    PromptEvalCount,
}

impl EmbedRewriter {
    /// `model` is the model group name the client asked for.
    pub fn new(model: &str) -> Self {
        let mut opening = b"{\"model\":".to_vec();
        write_json_string(model, &mut opening);
        opening.extend_from_slice(b",\"data\":[");
        EmbedRewriter {
            validator: Validator::new(),
            offset: 0,
            scan: Scan {
                opening,
                ..Scan::default()
            },
        }
    }

    pub fn feed(&mut self, piece: &[u8], out: &mut Vec<u8>) {
        if self.scan.failed {
            return;
        }
        let base = self.offset;
        let mut step = Step {
            scan: &mut self.scan,
            piece,
            base,
            out: &mut *out,
        };
        if self.validator.feed(piece, &mut step).is_err() {
            self.scan.failed = true;
            return;
        }
        let end = base + piece.len();
        let scan = &mut self.scan;
        if let Some(from) = scan.copy_from {
            out.extend_from_slice(&piece[from.saturating_sub(base).min(piece.len())..]);
            scan.copy_from = Some(end);
        }
        if let Some(from) = scan.count_from {
            push_bounded(
                &mut scan.count,
                &piece[from.saturating_sub(base).min(piece.len())..],
            );
            scan.count_from = Some(end);
        }
        self.offset += piece.len();
    }

    /// The answer ended: closes the list and writes the usage. A document that is not a
    /// whole `/api/embed` answer leaves the output unfinished and [`EmbedRewriter::failed`].
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.scan.failed {
            return;
        }
        let mut step = Step {
            scan: &mut self.scan,
            piece: &[],
            base: self.offset,
            out: &mut *out,
        };
        if self.validator.finish(&mut step).is_err()
            || self.scan.failed
            || !self.scan.saw_embeddings
        {
            self.scan.failed = true;
            return;
        }
        if !self.scan.opened {
            out.extend_from_slice(&self.scan.opening);
        }
        let usage = self.usage().unwrap_or_default();
        out.extend_from_slice(b"],\"object\":\"list\",\"usage\":");
        write_counts(&usage, out);
        out.extend_from_slice(
            b",\"completion_tokens_details\":null,\"prompt_tokens_details\":null}}",
        );
    }

    /// Whether the answer could not be translated (the client's body is cut short).
    pub fn failed(&self) -> bool {
        self.scan.failed
    }

    pub fn usage(&self) -> Option<Usage> {
        if !self.scan.saw_embeddings {
            return None;
        }
        let prompt_tokens = self.scan.prompt_tokens.unwrap_or(0);
        Some(Usage::counts(prompt_tokens, 0, prompt_tokens))
    }
}

fn push_bounded(buf: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_COUNT.saturating_sub(buf.len());
    buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// The visitor for one piece: `base` is the document offset of the piece's first byte.
struct Step<'a> {
    scan: &'a mut Scan,
    piece: &'a [u8],
    base: usize,
    out: &'a mut Vec<u8>,
}

impl Step<'_> {
    /// The bytes of the piece from document offset `from` to `to` (clamped to the piece).
    fn slice(&self, from: usize, to: usize) -> &[u8] {
        let start = from.saturating_sub(self.base).min(self.piece.len());
        let end = to.saturating_sub(self.base).clamp(start, self.piece.len());
        &self.piece[start..end]
    }
}

impl Visitor for Step<'_> {
    fn value(&mut self, depth: usize, at: usize, kind: Kind) -> bool {
        let scan = &mut *self.scan;
        if scan.failed {
            return false;
        }
        match depth {
            0 if kind != Kind::Object => scan.failed = true,
            1 => match scan.field {
                Field::Embeddings if kind == Kind::Array => {
                    scan.in_embeddings = true;
                    scan.saw_embeddings = true;
                }
                Field::Embeddings => scan.failed = true,
                Field::PromptEvalCount if kind == Kind::Number => {
                    scan.count.clear();
                    scan.count_from = Some(at);
                }
                _ => {}
            },
            2 if scan.in_embeddings => {
                if !scan.opened {
                    self.out.extend_from_slice(&scan.opening);
                    scan.opened = true;
                }
                if scan.index > 0 {
                    self.out.push(b',');
                }
                self.out
                    .extend_from_slice(b"{\"object\":\"embedding\",\"index\":");
                crate::json::write_u64(scan.index, self.out);
                self.out.extend_from_slice(b",\"embedding\":");
                scan.copy_from = Some(at);
            }
            _ => {}
        }
        false
    }

    fn value_end(&mut self, depth: usize, end: usize) {
        match depth {
            2 if self.scan.in_embeddings => {
                if let Some(from) = self.scan.copy_from.take() {
                    let bytes = self.slice(from, end).to_vec();
                    self.out.extend_from_slice(&bytes);
                }
                self.out.push(b'}');
                self.scan.index += 1;
            }
            1 if self.scan.in_embeddings => self.scan.in_embeddings = false,
            1 => {
                if let Some(from) = self.scan.count_from.take() {
                    let bytes = self.slice(from, end).to_vec();
                    push_bounded(&mut self.scan.count, &bytes);
                    self.scan.prompt_tokens = std::str::from_utf8(&self.scan.count)
                        .ok()
                        .and_then(|c| c.parse().ok());
                }
            }
            _ => {}
        }
    }

    fn key(&mut self, depth: usize) -> bool {
        if depth == 1 {
            self.scan.key.clear();
        }
        depth == 1
    }

    fn key_end(&mut self, depth: usize) {
        if depth == 1 {
            self.scan.field = match &self.scan.key[..] {
                b"embeddings" => Field::Embeddings,
                b"prompt_eval_count" => Field::PromptEvalCount,
                _ => Field::Other,
            };
        }
    }

    fn text(&mut self, bytes: &[u8]) {
        if self.scan.key.len() + bytes.len() <= MAX_KEY {
            self.scan.key.extend_from_slice(bytes);
        } else {
            // Too long to be a key of interest; still never matches one.
            self.scan.key.clear();
            self.scan.key.extend_from_slice(b"\0");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn translate(body: &[u8], piece: usize) -> (Vec<u8>, bool, Option<Usage>) {
        let mut r = EmbedRewriter::new("emb");
        let mut out = Vec::new();
        for p in body.chunks(piece) {
            r.feed(p, &mut out);
        }
        r.finish(&mut out);
        (out, r.failed(), r.usage())
    }

    #[test]
    fn pieces_of_any_size_give_the_held_translation() {
        let body = br#"{"model":"nomic","embeddings":[[0.25,-0.5,1e-3],[2,3.5, -4]],"total_duration":14143917,"load_duration":10,"prompt_eval_count":128}"#;
        let mut held = Vec::new();
        let usage = super::super::embed_response(body, "emb", &mut held).unwrap();
        assert_eq!(usage.prompt_tokens, 128);
        for piece in 1..body.len() + 1 {
            let (out, failed, u) = translate(body, piece);
            assert!(!failed, "{piece}");
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(held.clone()).unwrap(),
                "{piece}"
            );
            assert_eq!(u, Some(usage));
        }
    }

    #[test]
    fn what_is_not_an_embed_answer_fails() {
        for body in [
            &br#"{"embeddings":[[1,2],[3"#[..],
            br#"{"embeddings":{"a":1}}"#,
            br#"{"error":"no"}"#,
            b"[1,2]",
            b"{\"embeddings\":[[\"\xff\"]]}",
        ] {
            let (_, failed, _) = translate(body, 3);
            assert!(failed, "{}", String::from_utf8_lossy(body));
        }
    }
}
