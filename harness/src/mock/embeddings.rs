//! OpenAI embedding lists (and Gemini's `batchEmbedContents` answers) generated row by row, so multi-megabyte bodies never sit in memory.
//!
//! Value `(row, col)` has magnitude `((row * 7919 + col * 104729) % 1_000_000) / 1e6` and is
//! negative when `row + col` is odd. As text it is always `0.dddddd` or `-0.dddddd`, which
//! makes the body length computable in advance for Content-Length.

use super::openai::{push_number, PROMPT_TOKENS};

/// Largest `dimensions` served; OpenAI's largest model has 3072.
pub const MAX_DIMS: usize = 65_536;

/// An embeddings reply: `batch` rows of `dims` values, as JSON floats or base64 f32.
#[derive(Debug, Clone)]
pub struct EmbeddingBody {
    /// The echoed model as a JSON string literal.
    pub model: String,
    pub batch: usize,
    pub dims: usize,
    pub base64: bool,
    pub with_usage: bool,
    /// Gemini's `{"embeddings":[{"values":[...]}]}` instead of OpenAI's list (no model, no
    /// usage, no base64).
    pub gemini: bool,
}

/// Magnitude in millionths and sign of value `(row, col)`.
fn value_parts(row: usize, col: usize) -> (u32, bool) {
    let magnitude = (row
        .wrapping_mul(7919)
        .wrapping_add(col.wrapping_mul(104_729)))
        % 1_000_000;
    (magnitude as u32, (row + col) % 2 == 1)
}

/// The float value `(row, col)` as sent, for checks and the base64 encoding.
pub fn value(row: usize, col: usize) -> f32 {
    let (millionths, negative) = value_parts(row, col);
    let magnitude = millionths as f32 / 1e6;
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

const OPEN: &[u8] = b"{\"object\":\"list\",\"data\":[";
const ROW_START: &[u8] = b"{\"object\":\"embedding\",\"index\":";
const FLOATS_START: &[u8] = b",\"embedding\":[";
const FLOATS_END: &[u8] = b"]}";
const BASE64_START: &[u8] = b",\"embedding\":\"";
const BASE64_END: &[u8] = b"\"}";
const MODEL_KEY: &[u8] = b"],\"model\":";
const GEMINI_OPEN: &[u8] = b"{\"embeddings\":[";
const GEMINI_ROW_START: &[u8] = b"{\"values\":[";
const GEMINI_CLOSE: &[u8] = b"]}";

impl EmbeddingBody {
    /// Exact body length, computed without rendering.
    pub fn content_length(&self) -> u64 {
        let mut total = if self.gemini {
            (GEMINI_OPEN.len() + GEMINI_CLOSE.len()) as u64
        } else {
            (OPEN.len() + MODEL_KEY.len() + self.model.len() + 1 + self.usage_text().len()) as u64
        };
        for row in 0..self.batch {
            total += self.row_length(row) as u64;
        }
        total
    }

    fn row_length(&self, row: usize) -> usize {
        let mut len = usize::from(row + 1 < self.batch);
        if self.gemini {
            len += GEMINI_ROW_START.len();
        } else {
            len += ROW_START.len() + itoa::Buffer::new().format(row).len();
        }
        if self.base64 {
            len + BASE64_START.len() + (self.dims * 4).div_ceil(3) * 4 + BASE64_END.len()
        } else {
            // Odd (row + col) are negative: every other column, starting at col 1 or col 0.
            let negatives = if row & 1 == 0 {
                self.dims / 2
            } else {
                self.dims.div_ceil(2)
            };
            let values = self.dims * "0.000000".len() + negatives + self.dims.saturating_sub(1);
            let start = if self.gemini { 0 } else { FLOATS_START.len() };
            len + start + values + FLOATS_END.len()
        }
    }

    fn usage_text(&self) -> String {
        if !self.with_usage {
            return String::new();
        }
        let tokens = PROMPT_TOKENS * self.batch;
        format!(",\"usage\":{{\"prompt_tokens\":{tokens},\"total_tokens\":{tokens}}}")
    }

    /// Appends whole rows to `out` until it holds at least `target` bytes or the body ends;
    /// returns true when the body is complete. `cursor` starts at 0 and is owned by the caller.
    pub fn fill(&self, cursor: &mut usize, out: &mut Vec<u8>, target: usize) -> bool {
        // Cursor 0 is the opening, 1..=batch the rows, batch + 1 the closing.
        while out.len() < target {
            match *cursor {
                0 if self.gemini => out.extend_from_slice(GEMINI_OPEN),
                0 => out.extend_from_slice(OPEN),
                c if c <= self.batch => self.row(c - 1, out),
                c if c == self.batch + 1 && self.gemini => out.extend_from_slice(GEMINI_CLOSE),
                c if c == self.batch + 1 => {
                    out.extend_from_slice(MODEL_KEY);
                    out.extend_from_slice(self.model.as_bytes());
                    out.extend_from_slice(self.usage_text().as_bytes());
                    out.push(b'}');
                }
                _ => return true,
            }
            *cursor += 1;
        }
        *cursor > self.batch + 1
    }

    fn row(&self, row: usize, out: &mut Vec<u8>) {
        if self.gemini {
            out.extend_from_slice(GEMINI_ROW_START);
        } else {
            out.extend_from_slice(ROW_START);
            push_number(out, row);
        }
        if self.base64 {
            out.extend_from_slice(BASE64_START);
            let bytes: Vec<u8> = (0..self.dims)
                .flat_map(|col| value(row, col).to_le_bytes())
                .collect();
            base64(&bytes, out);
            out.extend_from_slice(BASE64_END);
        } else {
            if !self.gemini {
                out.extend_from_slice(FLOATS_START);
            }
            for col in 0..self.dims {
                if col > 0 {
                    out.push(b',');
                }
                let (millionths, negative) = value_parts(row, col);
                if negative {
                    out.push(b'-');
                }
                out.extend_from_slice(b"0.");
                let mut digits = [b'0'; 6];
                let mut rest = millionths;
                for digit in digits.iter_mut().rev() {
                    *digit = b'0' + (rest % 10) as u8;
                    rest /= 10;
                }
                out.extend_from_slice(&digits);
            }
            out.extend_from_slice(FLOATS_END);
        }
        if row + 1 < self.batch {
            out.push(b',');
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard padded base64 (RFC 4648 §4), as OpenAI's `encoding_format: "base64"` uses.
pub fn base64(bytes: &[u8], out: &mut Vec<u8>) {
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let symbols = [n >> 18, n >> 12, n >> 6, n].map(|s| ALPHABET[(s & 63) as usize]);
        let keep = group.len() + 1;
        out.extend_from_slice(&symbols[..keep]);
        out.extend(std::iter::repeat_n(b'=', 4 - keep));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn render(body: &EmbeddingBody, target: usize) -> Vec<u8> {
        let mut cursor = 0;
        let mut all = Vec::new();
        loop {
            let mut piece = Vec::new();
            let done = body.fill(&mut cursor, &mut piece, target);
            assert!(
                piece.len() < target + 16 * body.dims + 200,
                "unbounded piece"
            );
            all.extend_from_slice(&piece);
            if done {
                return all;
            }
        }
    }

    fn body(batch: usize, dims: usize, base64: bool, with_usage: bool) -> EmbeddingBody {
        EmbeddingBody {
            model: "\"text-embedding-3-small\"".to_owned(),
            batch,
            dims,
            base64,
            with_usage,
            gemini: false,
        }
    }

    #[test]
    fn gemini_body_matches_length_and_values() {
        for (batch, dims) in [(1, 1), (3, 5), (2, 768)] {
            let spec = EmbeddingBody {
                gemini: true,
                ..body(batch, dims, false, true)
            };
            let bytes = render(&spec, 100);
            assert_eq!(bytes.len() as u64, spec.content_length(), "{batch}x{dims}");
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            let rows = value["embeddings"].as_array().unwrap();
            assert_eq!(rows.len(), batch);
            let last = rows[batch - 1]["values"].as_array().unwrap();
            assert_eq!(last.len(), dims);
            let got = last[dims - 1].as_f64().unwrap() as f32;
            assert!((got - super::value(batch - 1, dims - 1)).abs() < 1e-6);
            assert_eq!(value.as_object().unwrap().len(), 1);
        }
    }

    #[test]
    fn float_body_matches_length_and_values() {
        for (batch, dims) in [(1, 1), (3, 5), (4, 8), (2, 1536)] {
            let spec = body(batch, dims, false, true);
            let bytes = render(&spec, 1000);
            assert_eq!(bytes.len() as u64, spec.content_length(), "{batch}x{dims}");
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            let data = value["data"].as_array().unwrap();
            assert_eq!(data.len(), batch);
            let last = data[batch - 1]["embedding"].as_array().unwrap();
            assert_eq!(last.len(), dims);
            let got = last[dims - 1].as_f64().unwrap() as f32;
            assert!((got - super::value(batch - 1, dims - 1)).abs() < 1e-6);
            assert_eq!(value["usage"]["prompt_tokens"], 10 * batch);
        }
    }

    #[test]
    fn base64_body_matches_length_and_decodes() {
        for dims in [1, 2, 3, 256] {
            let spec = body(2, dims, true, false);
            let bytes = render(&spec, 64);
            assert_eq!(bytes.len() as u64, spec.content_length());
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(value.get("usage").is_none());
            let text = value["data"][1]["embedding"].as_str().unwrap();
            assert_eq!(text.len(), (dims * 4).div_ceil(3) * 4);
        }
        let mut out = Vec::new();
        base64(b"Man", &mut out);
        base64(b"Ma", &mut out);
        base64(b"M", &mut out);
        assert_eq!(out, b"TWFuTWE=TQ==");
        let mut one = Vec::new();
        base64(&1.0f32.to_le_bytes(), &mut one);
        assert_eq!(one, b"AACAPw==");
    }
}
