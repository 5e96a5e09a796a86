//! Random request bodies for the property tests: the keys the gateway reads, repeated,
//! escaped and case-changed, among other keys, with nested values and random whitespace; and
//! one-byte damage that makes some of them invalid JSON.
#![allow(dead_code)]

use fastrand::Rng;

/// One random edit: drop, duplicate or replace a byte, so some bodies stop being JSON.
pub fn damage(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    let at = rng.usize(..bytes.len());
    match rng.u8(..3) {
        0 => {
            bytes.remove(at);
        }
        1 => bytes.insert(at, bytes[at]),
        _ => {
            const BYTES: &[u8] = b"{}[]\":,\\u0dD8e-. \x01\xc3";
            bytes[at] = BYTES[rng.usize(..BYTES.len())];
        }
    }
}

/// Random request bodies: the keys the gateway reads, repeated, escaped and case-changed,
/// among other keys, with nested values and random whitespace.
pub struct Gen<'r> {
    pub rng: &'r mut Rng,
}

const READ: [&str; 9] = [
    "model",
    "stream",
    "stream_options",
    "user",
    "metadata",
    "fallbacks",
    "messages",
    "prompt",
    "input",
];
const OTHER: [&str; 22] = [
    "temperature",
    // LiteLLM's router members (crate::openai::RouterArg).
    "num_retries",
    "timeout",
    "context_window_fallbacks",
    "max_tokens",
    "tools",
    "n",
    // What an OpenAI-format row's parameter table reads (crate::params).
    "max_completion_tokens",
    "extra_body",
    "tags",
    "drop_params",
    "seed",
    "tool_choice",
    "reasoning_effort",
    "thinking",
    "presence_penalty",
    "models",
    "mode",
    "Model",
    "include_usage",
    "modél",
    "",
];

impl Gen<'_> {
    fn ws(&mut self, out: &mut String) {
        while self.rng.u8(..4) == 0 {
            out.push([' ', '\n', '\t', '\r'][self.rng.usize(..4)]);
        }
    }

    /// `text` as a JSON string, each char escaped with some probability.
    fn string(&mut self, text: &str, out: &mut String) {
        out.push('"');
        let p = [0, 0, 1, 3][self.rng.usize(..4)];
        for c in text.chars() {
            if c == '"' || c == '\\' || (c as u32) < 0x20 || self.rng.u8(..8) < p {
                self.escape(c, out);
            } else {
                out.push(c);
            }
        }
        out.push('"');
    }

    fn escape(&mut self, c: char, out: &mut String) {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            _ => None,
        };
        if let (Some(s), true) = (short, self.rng.bool()) {
            out.push_str(s);
            return;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            let hex = format!("\\u{:04x}", unit);
            if self.rng.bool() {
                out.push_str(&hex.to_uppercase().replacen("\\U", "\\u", 1));
            } else {
                out.push_str(&hex);
            }
        }
    }

    /// Writes a key and returns it unescaped.
    fn key(&mut self, out: &mut String) -> String {
        let name = match self.rng.u8(..10) {
            0..=5 => READ[self.rng.usize(..READ.len())].to_owned(),
            6 | 7 => OTHER[self.rng.usize(..OTHER.len())].to_owned(),
            8 => {
                // A case variant of a read key, now and then with U+017F or U+212A.
                let name = READ[self.rng.usize(..6)];
                name.chars()
                    .map(|c| match (c, self.rng.u8(..6)) {
                        ('s', 0) => '\u{17f}',
                        ('k', 0) => '\u{212a}',
                        ('i', 0) => '\u{131}',
                        (c, 1) => c.to_ascii_uppercase(),
                        (c, _) => c,
                    })
                    .collect()
            }
            _ => format!("x{}", self.rng.u16(..1000)),
        };
        self.string(&name, out);
        name
    }

    pub fn body(&mut self, out: &mut String) {
        self.ws(out);
        out.push('{');
        let members = self.rng.usize(..7);
        for i in 0..members {
            if i > 0 {
                out.push(',');
            }
            self.ws(out);
            let key = self.key(out);
            self.ws(out);
            out.push(':');
            self.ws(out);
            self.value_for(&key, out);
            self.ws(out);
        }
        out.push('}');
        self.ws(out);
    }

    /// A value of the type the key usually carries, sometimes of another.
    fn value_for(&mut self, key: &str, out: &mut String) {
        let usual = self.rng.u8(..6) != 0;
        match key {
            _ if !usual => self.value(2, out),
            "model" | "user" => {
                let text = ["gpt-4o", "cheap", "expensive", "a\"b", "é😀", ""][self.rng.usize(..6)];
                self.string(text, out);
            }
            "stream" => out.push_str(["true", "false", "null"][self.rng.usize(..3)]),
            "stream_options" => self.stream_options(out),
            _ => self.value(2, out),
        }
    }

    fn stream_options(&mut self, out: &mut String) {
        out.push('{');
        for i in 0..self.rng.usize(..4) {
            if i > 0 {
                out.push(',');
            }
            self.ws(out);
            let name =
                ["include_usage", "include_usage", "x", "Include_usage"][self.rng.usize(..4)];
            self.string(name, out);
            out.push(':');
            self.ws(out);
            match self.rng.u8(..4) {
                0 => out.push_str("true"),
                1 => out.push_str("false"),
                _ => self.value(1, out),
            }
        }
        self.ws(out);
        out.push('}');
    }

    fn value(&mut self, depth: u8, out: &mut String) {
        let kinds = if depth == 0 { 5 } else { 7 };
        match self.rng.u8(..kinds) {
            0 => out.push_str("null"),
            1 => out.push_str(["true", "false"][self.rng.usize(..2)]),
            2 => out.push_str(
                ["0", "-1", "3.25", "1e3", "-0.0", "12345678901234567890"][self.rng.usize(..6)],
            ),
            3 | 4 => {
                let text = [
                    "hi",
                    "model",
                    "\"stream\":true",
                    "line\nbreak",
                    "\u{1}",
                    "😀",
                ][self.rng.usize(..6)];
                self.string(text, out);
            }
            5 => {
                out.push('[');
                for i in 0..self.rng.usize(..3) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.value(depth - 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..self.rng.usize(..3) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.key(out);
                    out.push(':');
                    self.value(depth - 1, out);
                }
                out.push('}');
            }
        }
    }
}
