//! The request keys the gateway reads or rewrites, and how a key as sent is matched to one:
//! exactly after JSON unescaping, or only by letter case (which some providers ignore).
//!
//! Why both: the gateway routes, authorises and prices what it reads, and the upstream must
//! serve that same request. An upstream parser unescapes keys and keeps the last of repeated
//! ones, so `"mod\u0065l"` after `"model"` is a second `model`. Go's `encoding/json` (Ollama's
//! OpenAI API, most Go servers), ASP.NET's default options and Jackson's case-insensitive mode
//! also match keys ignoring case: `"Model"`, or `"ſtream"` with U+017F, reach them as `model`
//! and `stream`.

/// A key the gateway reads or rewrites. All are top-level members except
/// [`Key::IncludeUsage`], which lives inside `stream_options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Model,
    Stream,
    StreamOptions,
    User,
    Metadata,
    Fallbacks,
    IncludeUsage,
}

/// How a key as sent relates to the [`Key`] it was matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Equal after unescaping: every JSON parser reads it as the key.
    Exact,
    /// Equal only under case folding: case-insensitive parsers read it as the key.
    CaseVariant,
}

impl Key {
    /// The top-level members the gateway reads or rewrites.
    pub const TOP_LEVEL: [Key; 6] = [
        Key::Model,
        Key::Stream,
        Key::StreamOptions,
        Key::User,
        Key::Metadata,
        Key::Fallbacks,
    ];

    /// The members of `stream_options` the gateway reads or rewrites.
    pub const STREAM_OPTIONS: [Key; 1] = [Key::IncludeUsage];

    /// The key as it appears in its object.
    pub const fn name(self) -> &'static str {
        match self {
            Key::Model => "model",
            Key::Stream => "stream",
            Key::StreamOptions => "stream_options",
            Key::User => "user",
            Key::Metadata => "metadata",
            Key::Fallbacks => "fallbacks",
            Key::IncludeUsage => "include_usage",
        }
    }

    /// The key's dotted path from the top of the request body.
    pub fn path(self) -> &'static str {
        match self {
            Key::IncludeUsage => "stream_options.include_usage",
            k => k.name(),
        }
    }

    /// The key named exactly `name` (lowercase ASCII), in any object.
    fn named(name: &[u8]) -> Option<Key> {
        Some(match name {
            b"model" => Key::Model,
            b"stream" => Key::Stream,
            b"stream_options" => Key::StreamOptions,
            b"user" => Key::User,
            b"metadata" => Key::Metadata,
            b"fallbacks" => Key::Fallbacks,
            b"include_usage" => Key::IncludeUsage,
            _ => return None,
        })
    }

    /// Matches an unescaped key against `among`. Most keys are other keys, so the order is by
    /// cost: one `match` on the exact name; then, only for a key whose length some case
    /// variant could have, an ASCII case-insensitive compare, or the char-by-char fold
    /// (`folds_to`) for the rare key with non-ASCII bytes.
    pub fn find(key: &str, among: &[Key]) -> Option<(Key, Spelling)> {
        if let Some(k) = Key::named(key.as_bytes()).filter(|k| among.contains(k)) {
            return Some((k, Spelling::Exact));
        }
        let found = if key.is_ascii() {
            let len = key.len();
            if len >= 32 || VARIANT_LENGTHS & (1 << len) == 0 {
                return None;
            }
            among.iter().find(|k| key.eq_ignore_ascii_case(k.name()))
        } else if key.len() <= LONGEST_MATCH {
            among.iter().find(|k| folds_to(key, k.name()))
        } else {
            None
        };
        found.map(|&k| (k, Spelling::CaseVariant))
    }
}

/// Bytes in the longest name, `stream_options`.
const LONGEST: usize = 14;

/// No key longer than this (in unescaped bytes) matches a [`Key`] in any spelling: the
/// non-ASCII letters that fold to ASCII (`folds_to`) take at most three bytes each.
pub const LONGEST_MATCH: usize = 3 * LONGEST;

/// Bit n set when some name is n bytes long: the only lengths an all-ASCII variant can have.
const VARIANT_LENGTHS: u32 = {
    let mut mask = 0u32;
    let mut i = 0;
    while i < Key::TOP_LEVEL.len() {
        mask |= 1 << Key::TOP_LEVEL[i].name().len();
        i += 1;
    }
    mask | 1 << Key::IncludeUsage.name().len()
};

/// Whether `key` equals `name` (lowercase ASCII) ignoring case as any common parser might:
/// ASCII letters in either case, and the only four non-ASCII code points whose simple case
/// mapping is an ASCII letter: U+212A KELVIN SIGN (`k`; Go's `bytes.EqualFold` folds it),
/// U+017F LATIN SMALL LETTER LONG S (`s`; Go, and .NET's and Java's uppercase compares),
/// U+0131 DOTLESS I and U+0130 I WITH DOT ABOVE (`i`; uppercase and lowercase compares).
fn folds_to(key: &str, name: &str) -> bool {
    let mut chars = key.chars();
    for n in name.bytes() {
        let folded = match chars.next() {
            Some('\u{212a}') => b'k',
            Some('\u{17f}') => b's',
            Some('\u{130}' | '\u{131}') => b'i',
            Some(c) if c.is_ascii() => (c as u8).to_ascii_lowercase(),
            _ => return false,
        };
        if folded != n {
            return false;
        }
    }
    chars.next().is_none()
}

/// The keys of one object seen so far, to find a second occurrence.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen(u8);

impl Seen {
    /// Records `key`; false if it was already recorded.
    pub fn insert(&mut self, key: Key) -> bool {
        let bit = 1u8 << key as u8;
        let fresh = self.0 & bit == 0;
        self.0 |= bit;
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_case_variants() {
        let top = &Key::TOP_LEVEL;
        assert_eq!(Key::find("model", top), Some((Key::Model, Spelling::Exact)));
        assert_eq!(
            Key::find("MODEL", top),
            Some((Key::Model, Spelling::CaseVariant))
        );
        assert_eq!(
            Key::find("\u{17f}tream", top),
            Some((Key::Stream, Spelling::CaseVariant))
        );
        assert_eq!(
            Key::find("fallbac\u{212a}s", top),
            Some((Key::Fallbacks, Spelling::CaseVariant))
        );
        assert_eq!(
            Key::find("\u{131}nclude_usage", &Key::STREAM_OPTIONS),
            Some((Key::IncludeUsage, Spelling::CaseVariant))
        );
        assert_eq!(
            Key::find("\u{130}NCLUDE_USAGE", &Key::STREAM_OPTIONS),
            Some((Key::IncludeUsage, Spelling::CaseVariant))
        );
        assert_eq!(
            Key::find("Stream_Options", top),
            Some((Key::StreamOptions, Spelling::CaseVariant))
        );
        for other in [
            "models", "mode", "messages", "", "stream ", "modél", "user\0",
        ] {
            assert_eq!(Key::find(other, top), None, "{other:?}");
        }
        assert_eq!(Key::find("include_usage", top), None);
        assert_eq!(
            Key::find("include_usage", &Key::STREAM_OPTIONS),
            Some((Key::IncludeUsage, Spelling::Exact))
        );
    }

    #[test]
    fn names_round_trip() {
        let all = || Key::TOP_LEVEL.into_iter().chain(Key::STREAM_OPTIONS);
        for k in all() {
            assert_eq!(Key::named(k.name().as_bytes()), Some(k));
        }
        assert_eq!(all().map(|k| k.name().len()).max(), Some(LONGEST));
        assert!(all().all(|k| VARIANT_LENGTHS & (1 << k.name().len()) != 0));
    }

    #[test]
    fn seen_reports_the_second_insert() {
        let mut seen = Seen::default();
        assert!(seen.insert(Key::Model));
        assert!(seen.insert(Key::IncludeUsage));
        assert!(!seen.insert(Key::Model));
        assert!(seen.insert(Key::Stream));
    }
}
