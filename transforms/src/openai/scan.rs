//! [`BodyScanner`]: [`inspect`](super::inspect) for a body fed in pieces, as the server reads
//! one it spilled to a temporary file, in bounded memory.

use super::{
    watched, ObjectSpan, Presence, RequestError, RequestFields, RouterArg, MAX_MODEL_LEN,
    MAX_USER_LEN,
};
use crate::json::validate::{Kind, Validator, Visitor};
use crate::keys::{Key, Seen, LONGEST_MATCH};
use crate::service_tier::ServiceTier;

/// The longest key read: every key [`Key`] matches ([`LONGEST_MATCH`]) and every key
/// [`crate::params::BodyKeys`] notes (LiteLLM's own parameters reach 59 bytes).
const KEY_LEN: usize = if LONGEST_MATCH > 64 {
    LONGEST_MATCH
} else {
    64
};

/// Reads a request body fed in pieces of any size and answers what [`inspect`](super::inspect)
/// answers for the whole body: the same [`RequestFields`] (spans are offsets into the whole
/// body) or the same [`RequestError`].
///
/// JSON is validated as simd-json validates it ([`crate::json::validate`]). The one known
/// difference needs a float of more than 65,536 digits whose exponent, also past 65,536,
/// cancels them out (`1` and 700,000 zeros, then `e-700000`): Rust's `f64` parser, simd-json's
/// slow path, saturates the exponent and calls it infinite; this scanner computes it exactly.
///
/// Errors keep `inspect`'s precedence: [`feed`](Self::feed) returns `InvalidJson` as soon as
/// the body stops being JSON (no later byte can change that answer); every other refusal is
/// returned by [`finish`](Self::finish), since a body that turns out not to be JSON is refused
/// as such. [`refusal`](Self::refusal) shows it early, for a server that would rather stop
/// reading.
///
/// Memory is bounded whatever the body: a fixed-size validator (one bit per nesting level up
/// to simd-json's 1024, the escape and number state, four bytes of a split UTF-8 character)
/// and the strings kept: `model` up to [`MAX_MODEL_LEN`] and `user` up to [`MAX_USER_LEN`]
/// bytes (longer ones are refused with [`RequestError::ValueTooLong`], as `inspect` refuses
/// them) and the buffer a key ([`KEY_LEN`] bytes at most) or one of those values is read
/// into; under 20 KiB in all.
#[derive(Debug, Default)]
pub struct BodyScanner {
    json: Validator,
    reader: Reader,
}

impl BodyScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next piece of the body.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), RequestError> {
        self.json
            .feed(piece, &mut self.reader)
            .map_err(|_| RequestError::InvalidJson)
    }

    /// The refusal [`finish`](Self::finish) will return unless the rest of the body is not
    /// JSON; the server may stop reading there if it does not mind answering with it.
    pub fn refusal(&self) -> Option<RequestError> {
        match self.reader.root {
            Some(kind) if kind != Kind::Object => Some(RequestError::NotAnObject),
            _ => self.reader.refusal,
        }
    }

    /// Ends the body.
    pub fn finish(mut self) -> Result<RequestFields, RequestError> {
        self.json
            .finish(&mut self.reader)
            .map_err(|_| RequestError::InvalidJson)?;
        if self.reader.root != Some(Kind::Object) {
            return Err(RequestError::NotAnObject);
        }
        match self.reader.refusal {
            Some(e) => Err(e),
            None => Ok(self.reader.fields),
        }
    }
}

/// The top-level member whose value comes next, as far as the gateway reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Member {
    /// One the gateway ignores, or one whose refusal is already recorded.
    #[default]
    Other,
    Model,
    Stream,
    StreamOptions,
    User,
    Messages,
    MaxTokens,
    Prompt,
    Input,
    Query,
    Documents,
    ServiceTier,
    Router(RouterArg),
}

/// Longest `service_tier` string kept: longer than any known tier's name.
const MAX_TIER_LEN: usize = 32;

/// Inside the `stream_options` object.
#[derive(Debug, Clone, Copy, Default)]
struct Options {
    seen: Seen,
    has_members: bool,
    /// The current member is `include_usage`.
    usage: bool,
    /// Where the `include_usage` value starts, and the bool it is, if one.
    start: usize,
    value: Option<bool>,
}

/// The string being kept: a key while it is compared, a `model` or `user` value.
#[derive(Debug, Default)]
struct Text {
    bytes: Vec<u8>,
    limit: usize,
    /// More than `limit` bytes arrived; `bytes` holds none of them.
    overflow: bool,
}

impl Text {
    fn start(&mut self, limit: usize) {
        self.bytes.clear();
        self.limit = limit;
        self.overflow = false;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.overflow || self.bytes.len() + bytes.len() > self.limit {
            self.overflow = true;
            self.bytes.clear();
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }

    /// The whole string, unless it passed its limit. The validator passed valid UTF-8.
    fn as_str(&self) -> Option<&str> {
        (!self.overflow)
            .then(|| std::str::from_utf8(&self.bytes).ok())
            .flatten()
    }
}

/// What the validator's events mean for the request; see [`BodyScanner`].
#[derive(Debug, Default)]
struct Reader {
    fields: RequestFields,
    /// The first refusal in body order, as `inspect` meets them.
    refusal: Option<RequestError>,
    root: Option<Kind>,
    open: usize,
    has_members: bool,
    seen: Seen,
    member: Member,
    /// Where the current top-level value starts.
    start: usize,
    /// Set while inside a `stream_options` object.
    options: Option<Options>,
    text: Text,
}

impl Reader {
    fn refuse(&mut self, e: RequestError) {
        self.refusal.get_or_insert(e);
    }

    fn member_value(&mut self, at: usize, kind: Kind) -> bool {
        self.start = at;
        let presence = if kind == Kind::Null {
            Presence::Null
        } else {
            Presence::Value
        };
        match (self.member, kind) {
            (Member::Model, Kind::String) => {
                self.text.start(MAX_MODEL_LEN);
                return true;
            }
            (Member::Model, _) => {
                self.refuse(RequestError::ModelNotString);
                self.member = Member::Other;
            }
            (Member::Stream, Kind::True) => self.fields.stream = true,
            // LiteLLM treats an explicit null like an absent stream flag.
            (Member::Stream, Kind::False | Kind::Null) => self.fields.stream = false,
            (Member::Stream, _) => self.refuse(RequestError::StreamNotBool),
            (Member::StreamOptions, Kind::Object) => self.options = Some(Options::default()),
            (Member::User, Kind::String) => {
                self.text.start(MAX_USER_LEN);
                return true;
            }
            // A non-string user is not read (`inspect`'s `as_str`).
            (Member::User, _) => self.member = Member::Other,
            (Member::ServiceTier, Kind::String) => {
                self.text.start(MAX_TIER_LEN);
                return true;
            }
            (Member::ServiceTier, _) => {
                self.fields.service_tier = None;
                self.member = Member::Other;
            }
            (Member::Messages, _) => self.fields.messages = presence,
            (Member::Prompt, _) => self.fields.prompt = presence,
            (Member::Input, _) => self.fields.input = presence,
            (Member::Query, _) => self.fields.query = presence,
            (Member::Documents, _) => self.fields.documents = presence,
            (Member::MaxTokens, _) => self.fields.max_tokens = presence,
            (Member::StreamOptions | Member::Router(_) | Member::Other, _) => {}
        }
        false
    }

    fn member_end(&mut self, end: usize) {
        let span = self.start..end;
        match self.member {
            Member::Model => match self.text.as_str() {
                Some(model) => {
                    self.fields.model = Some(model.to_owned());
                    self.fields.model_span = Some(span);
                }
                None => self.refuse(RequestError::ValueTooLong(Key::Model)),
            },
            // Longer than any known tier: not one (`inspect` reads it as unknown too).
            Member::ServiceTier => {
                self.fields.service_tier = self.text.as_str().and_then(ServiceTier::from_name);
            }
            Member::User => match self.text.as_str() {
                Some(user) => self.fields.user = Some(user.to_owned()),
                None => self.refuse(RequestError::ValueTooLong(Key::User)),
            },
            Member::StreamOptions => {
                if let Some(options) = self.options.take() {
                    self.fields.stream_options_object = Some(ObjectSpan {
                        open: span.start,
                        close: end - 1,
                        has_members: options.has_members,
                    });
                }
                self.fields.stream_options_span = Some(span);
            }
            Member::Router(arg) => self.fields.router_args.set(arg, span),
            _ => {}
        }
        self.member = Member::Other;
    }
}

/// What a top-level key (unescaped; `None` when too long to be any) makes of its member.
fn member(name: Option<&str>, seen: &mut Seen) -> Result<Member, RequestError> {
    let Some(name) = name else {
        return Ok(Member::Other);
    };
    Ok(match watched(name, &Key::TOP_LEVEL, seen)? {
        Some(Key::Model) => Member::Model,
        Some(Key::Stream) => Member::Stream,
        Some(Key::StreamOptions) => Member::StreamOptions,
        Some(Key::User) => Member::User,
        Some(Key::Fallbacks) => Member::Router(RouterArg::Fallbacks),
        Some(Key::Metadata) => Member::Router(RouterArg::Metadata),
        Some(Key::IncludeUsage) => Member::Other,
        None => match name {
            "messages" => Member::Messages,
            "prompt" => Member::Prompt,
            "input" => Member::Input,
            "query" => Member::Query,
            "documents" => Member::Documents,
            "max_tokens" => Member::MaxTokens,
            "service_tier" => Member::ServiceTier,
            _ => RouterArg::of(name).map_or(Member::Other, Member::Router),
        },
    })
}

impl Visitor for Reader {
    fn value(&mut self, depth: usize, at: usize, kind: Kind) -> bool {
        match depth {
            0 => {
                self.root = Some(kind);
                self.open = at;
                false
            }
            1 => self.member_value(at, kind),
            2 => {
                if let Some(options) = self.options.as_mut().filter(|o| o.usage) {
                    options.start = at;
                    options.value = match kind {
                        Kind::True => Some(true),
                        Kind::False => Some(false),
                        _ => None,
                    };
                }
                false
            }
            _ => false,
        }
    }

    fn value_end(&mut self, depth: usize, end: usize) {
        match depth {
            0 if self.root == Some(Kind::Object) => {
                self.fields.object = Some(ObjectSpan {
                    open: self.open,
                    close: end - 1,
                    has_members: self.has_members,
                });
            }
            1 => self.member_end(end),
            2 => {
                if let Some(options) = self.options.as_mut().filter(|o| o.usage) {
                    options.usage = false;
                    self.fields.include_usage = options.value;
                    self.fields.include_usage_span = Some(options.start..end);
                }
            }
            _ => {}
        }
    }

    fn key(&mut self, depth: usize) -> bool {
        match (depth, self.options.as_mut()) {
            (1, _) => self.has_members = true,
            (2, Some(options)) => options.has_members = true,
            _ => return false,
        }
        self.text.start(KEY_LEN);
        true
    }

    fn key_end(&mut self, depth: usize) {
        let name = self.text.as_str();
        let found = match (depth, self.options.as_mut()) {
            (1, _) => {
                if let Some(name) = name {
                    self.fields.keys.note(name);
                }
                member(name, &mut self.seen).map(|m| self.member = m)
            }
            (2, Some(options)) => name
                .map_or(Ok(None), |n| {
                    watched(n, &Key::STREAM_OPTIONS, &mut options.seen)
                })
                .map(|k| options.usage = k.is_some()),
            _ => Ok(()),
        };
        if let Err(e) = found {
            self.refuse(e);
        }
    }

    fn text(&mut self, bytes: &[u8]) {
        self.text.push(bytes);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::inspect;
    use super::*;

    fn scan(pieces: &[&[u8]]) -> Result<RequestFields, RequestError> {
        let mut s = BodyScanner::new();
        for piece in pieces {
            s.feed(piece)?;
        }
        s.finish()
    }

    #[test]
    fn reads_what_inspect_reads_across_pieces() {
        let body: &[u8] = br#" {"messages":[{"role":"user","content":"hi \"model\" \u00e9"}], "mod\u0065l" : "gpt\u002d4o\ud83d\ude00", "stream":true,
            "stream_options":{"x":[1],"include_usage":false},"user":"u1","input":null,"service_tier":"default","service_tier":"flex"} "#;
        let mut want = inspect(body, &mut crate::json::tape::Scratch::new()).unwrap();
        assert_eq!(want.model.as_deref(), Some("gpt-4o\u{1f600}"));
        assert_eq!(want.shapes, Some(crate::params::Shapes::EMPTY));
        // The scanner does not walk the messages.
        want.shapes = None;
        assert_eq!(want.service_tier, Some(ServiceTier::Flex));
        for cut in 0..=body.len() {
            assert_eq!(scan(&[&body[..cut], &body[cut..]]).unwrap(), want, "{cut}");
        }
    }

    #[test]
    fn refusals_wait_for_the_end_of_the_body() {
        let mut s = BodyScanner::new();
        s.feed(br#"{"model":1,"stream":"#).unwrap();
        assert_eq!(s.refusal(), Some(RequestError::ModelNotString));
        s.feed(b"x").unwrap_err();
        assert_eq!(scan(&[br#"{"model":1,"#]), Err(RequestError::InvalidJson));
        assert_eq!(
            scan(&[b"[", br#"{"model":1}]"#]),
            Err(RequestError::NotAnObject)
        );
        let mut s = BodyScanner::new();
        s.feed(b" [").unwrap();
        assert_eq!(s.refusal(), Some(RequestError::NotAnObject));
    }

    #[test]
    fn long_values_are_refused_and_long_keys_ignored() {
        let model = "m".repeat(MAX_MODEL_LEN + 1);
        let body = format!(r#"{{"model":"{model}"}}"#);
        assert_eq!(
            scan(&[body.as_bytes()]),
            Err(RequestError::ValueTooLong(Key::Model))
        );
        let key = "model".repeat(100);
        let body = format!(r#"{{"{key}":1,"model":"m"}}"#);
        assert_eq!(
            scan(&[body.as_bytes()]).unwrap().model.as_deref(),
            Some("m")
        );
    }
}
