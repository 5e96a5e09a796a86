//! The upstream body as a short plan of edits to the client's bytes, so one code path splices
//! a body in memory ([`splice`]) and streams one from a file ([`SplicePlan::apply`] per piece).

use std::ops::Range;

use super::RequestFields;
use crate::json::write_json_string;

/// One change to the client body: the bytes of `range` (empty for an insertion before
/// `range.start`) are replaced by `bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit<'p> {
    pub range: Range<usize>,
    pub bytes: &'p [u8],
}

/// Most edits a plan holds: the model and `include_usage`.
const MAX_EDITS: usize = 2;

/// At most two edits (the model, `include_usage`), sorted by start and not overlapping;
/// insertions at the same offset keep their order. Every edit starts inside the body (at or
/// before the top-level `}`), so the piece that holds its first byte emits it. One allocation:
/// the replacement bytes of all edits, one after another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplicePlan {
    bytes: Vec<u8>,
    /// The range each edit replaces, and where its replacement ends in `bytes`.
    edits: [(Range<usize>, usize); MAX_EDITS],
    len: usize,
}

impl SplicePlan {
    /// The edits in order.
    pub fn edits(&self) -> impl Iterator<Item = Edit<'_>> {
        let mut from = 0;
        self.edits[..self.len].iter().map(move |(range, to)| {
            let bytes = &self.bytes[from..*to];
            from = *to;
            Edit {
                range: range.clone(),
                bytes,
            }
        })
    }

    /// Length of the upstream body made from a client body of `body_len` bytes, for its
    /// Content-Length before the first byte is copied.
    pub fn output_len(&self, body_len: usize) -> usize {
        let removed: usize = self.edits().map(|e| e.range.len()).sum();
        (body_len + self.bytes.len()).saturating_sub(removed)
    }

    /// Appends to `out` the upstream bytes for `piece`, the client body's bytes from `offset`
    /// on. Feeding the pieces in order, in any sizes, gives the whole upstream body; an edit
    /// that straddles pieces is emitted with the piece holding its start and its replaced bytes
    /// are skipped in every piece.
    pub fn apply(&self, piece: &[u8], offset: usize, out: &mut Vec<u8>) {
        let end = offset + piece.len();
        // Offset of the first byte of `piece` neither copied nor skipped yet.
        let mut cursor = offset;
        for edit in self.edits() {
            let Range { start, end: stop } = edit.range;
            if start >= end {
                break;
            }
            if start < offset {
                // Emitted with an earlier piece; skip what remains of its range.
                cursor = cursor.max(stop.min(end));
                continue;
            }
            out.extend_from_slice(&piece[cursor - offset..start - offset]);
            out.extend_from_slice(edit.bytes);
            cursor = stop.min(end);
        }
        out.extend_from_slice(&piece[cursor - offset..]);
    }

    /// Appends an edit after the others, unless it overlaps the last one (overlapping spans
    /// cannot come from one body's fields; never emit bytes twice).
    fn push(&mut self, range: Range<usize>, replacement: Replacement<'_>) {
        let after = self
            .len
            .checked_sub(1)
            .map_or(0, |last| self.edits[last].0.end);
        if self.len == MAX_EDITS || range.start < after {
            return;
        }
        replacement.write(&mut self.bytes);
        self.edits[self.len] = (range, self.bytes.len());
        self.len += 1;
    }
}

/// What replaces an edit's range.
#[derive(Debug, Clone, Copy)]
enum Replacement<'m> {
    /// The model as a JSON string; as a whole member (`"model":…`) when inserted.
    Model {
        model: &'m str,
        member: bool,
        comma: bool,
    },
    /// Fixed text, with a comma before or after it.
    Text {
        before: bool,
        text: &'static [u8],
        after: bool,
    },
}

impl Replacement<'_> {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Replacement::Model {
                model,
                member,
                comma,
            } => {
                if member {
                    out.extend_from_slice(b"\"model\":");
                }
                write_json_string(model, out);
                if comma {
                    out.push(b',');
                }
            }
            Replacement::Text {
                before,
                text,
                after,
            } => {
                if before {
                    out.push(b',');
                }
                out.extend_from_slice(text);
                if after {
                    out.push(b',');
                }
            }
        }
    }
}

/// The edits that turn the client body `fields` was read from into the upstream body: the model
/// value replaced by `new_model` (or the member added first when absent) and, when
/// `force_include_usage`, `stream_options.include_usage` set to true (LiteLLM adds it for
/// OpenAI-compatible streams so usage can be billed). A `fields` without an object (not from
/// [`inspect`](super::inspect) or [`BodyScanner`](super::BodyScanner)) gives no edits.
pub fn splice_plan(
    fields: &RequestFields,
    new_model: &str,
    force_include_usage: bool,
) -> SplicePlan {
    let Some(object) = fields.object else {
        return SplicePlan::default();
    };
    let model = match &fields.model_span {
        Some(span) if span.end <= object.close => (
            span.clone(),
            Replacement::Model {
                model: new_model,
                member: false,
                comma: false,
            },
        ),
        _ => (
            object.open + 1..object.open + 1,
            Replacement::Model {
                model: new_model,
                member: true,
                comma: object.has_members,
            },
        ),
    };
    let usage = (force_include_usage && fields.include_usage != Some(true)).then(|| {
        usage_edit(
            fields,
            object.close,
            object.has_members || fields.model_span.is_none(),
        )
    });
    let mut plan = SplicePlan {
        bytes: Vec::with_capacity(new_model.len() + 48),
        ..SplicePlan::default()
    };
    match usage {
        // At a shared offset the model goes first.
        Some(usage) if usage.0.start < model.0.start => {
            plan.push(usage.0, usage.1);
            plan.push(model.0, model.1);
        }
        Some(usage) => {
            plan.push(model.0, model.1);
            plan.push(usage.0, usage.1);
        }
        None => plan.push(model.0, model.1),
    }
    plan
}

/// Where `include_usage: true` goes: replace a non-true value, add the key to an existing
/// object, replace a non-object `stream_options`, or add `stream_options` before the final `}`.
fn usage_edit(
    fields: &RequestFields,
    close: usize,
    comma_before_new: bool,
) -> (Range<usize>, Replacement<'static>) {
    let edit = |range: Range<usize>, before: bool, text: &'static [u8], after: bool| {
        (
            range,
            Replacement::Text {
                before,
                text,
                after,
            },
        )
    };
    let Some(span) = fields
        .stream_options_span
        .clone()
        .filter(|s| s.end <= close)
    else {
        return edit(
            close..close,
            comma_before_new,
            b"\"stream_options\":{\"include_usage\":true}",
            false,
        );
    };
    let Some(options) = fields.stream_options_object else {
        return edit(span, false, b"{\"include_usage\":true}", false);
    };
    match fields
        .include_usage_span
        .clone()
        .filter(|v| span.start < v.start && v.end < span.end)
    {
        Some(v) => edit(v, false, b"true", false),
        None => edit(
            options.open + 1..options.open + 1,
            false,
            b"\"include_usage\":true",
            options.has_members,
        ),
    }
}

/// Appends to `out` the upstream body: `body` with the model value replaced by `new_model` and,
/// when `force_include_usage`, `stream_options.include_usage` set to true; all other bytes are
/// copied unchanged. `fields` must come from [`inspect`](super::inspect) of the same `body`;
/// without a top-level object the body is copied unchanged. The same [`splice_plan`] applied
/// in one piece.
pub fn splice(
    body: &[u8],
    fields: &RequestFields,
    new_model: &str,
    force_include_usage: bool,
    out: &mut Vec<u8>,
) {
    let plan = splice_plan(fields, new_model, force_include_usage);
    out.reserve(plan.output_len(body.len()));
    plan.apply(body, 0, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::inspect;
    use super::*;

    fn run(body: &str, model: &str, force: bool) -> String {
        let mut scratch = crate::json::tape::Scratch::new();
        let f = inspect(body.as_bytes(), &mut scratch).unwrap();
        let mut out = Vec::new();
        splice(body.as_bytes(), &f, model, force, &mut out);
        let plan = splice_plan(&f, model, force);
        assert_eq!(plan.output_len(body.len()), out.len());
        // Every split into two pieces, and one-byte pieces, give the same bytes.
        for cut in 0..=body.len() {
            let mut pieces = Vec::new();
            plan.apply(&body.as_bytes()[..cut], 0, &mut pieces);
            plan.apply(&body.as_bytes()[cut..], cut, &mut pieces);
            assert_eq!(pieces, out, "cut at {cut}");
        }
        let mut bytes = Vec::new();
        for (at, b) in body.bytes().enumerate() {
            plan.apply(&[b], at, &mut bytes);
        }
        assert_eq!(bytes, out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn splice_cases() {
        assert_eq!(
            run(r#"{"model":"a","x":1}"#, "b", false),
            r#"{"model":"b","x":1}"#
        );
        assert_eq!(run(r#"{"x":1}"#, "b", false), r#"{"model":"b","x":1}"#);
        assert_eq!(
            run(r#"{}"#, "b", true),
            r#"{"model":"b","stream_options":{"include_usage":true}}"#
        );
        assert_eq!(
            run(r#"{"model":"a","stream":true}"#, "b", true),
            r#"{"model":"b","stream":true,"stream_options":{"include_usage":true}}"#
        );
        assert_eq!(
            run(
                r#"{"stream_options":{"include_usage":false},"model":"a"}"#,
                "b",
                true
            ),
            r#"{"stream_options":{"include_usage":true},"model":"b"}"#
        );
        assert_eq!(
            run(r#"{"stream_options":{ },"model":"a"}"#, "b", true),
            r#"{"stream_options":{"include_usage":true },"model":"b"}"#
        );
        assert_eq!(
            run(r#"{"stream_options":{"x":1},"model":"a"}"#, "b", true),
            r#"{"stream_options":{"include_usage":true,"x":1},"model":"b"}"#
        );
        assert_eq!(
            run(r#"{"stream_options":null,"model":"a"}"#, "b", true),
            r#"{"stream_options":{"include_usage":true},"model":"b"}"#
        );
        assert_eq!(
            run(
                r#"{"model":"a","stream_options":{"include_usage":true}}"#,
                "b\"",
                true
            ),
            r#"{"model":"b\"","stream_options":{"include_usage":true}}"#
        );
    }

    #[test]
    fn plan_lists_sorted_edits() {
        let body = br#"{"stream_options":{"include_usage":false},"model":"a"}"#;
        let f = inspect(body, &mut crate::json::tape::Scratch::new()).unwrap();
        let plan = splice_plan(&f, "b", true);
        let edits: Vec<_> = plan
            .edits()
            .map(|e| (e.range, String::from_utf8_lossy(e.bytes).into_owned()))
            .collect();
        assert_eq!(
            edits,
            [(35..40, "true".to_owned()), (50..53, "\"b\"".to_owned())]
        );
        assert_eq!(
            splice_plan(&RequestFields::default(), "b", true),
            SplicePlan::default()
        );
    }
}
