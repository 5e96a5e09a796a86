//! Typed field readers over the node tree: each knows its key path, reports wrong types with a
//! position, resolves `os.environ/` references, and records ignored keys and warnings.

use std::time::Duration;

use crate::env::Env;
use crate::error::ConfigError;
use crate::node::{Key, Kind, Node};
use crate::scalar::{resolve_plain, Scalar};

/// State shared by the readers while one config is extracted.
pub(crate) struct Cx<'a> {
    pub(crate) origin: &'a str,
    pub(crate) env: Env,
    pub(crate) ignored: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

pub(crate) type Res<T> = Result<T, ConfigError>;

/// `parent.key`, or `key` at the top level.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Cx<'_> {
    pub(crate) fn invalid(
        &self,
        node: &Node,
        path: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin.to_string(),
            line: node.line,
            col: node.col,
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn expected(&self, node: &Node, path: &str, what: &str) -> ConfigError {
        self.invalid(
            node,
            path,
            format!("expected {what}, got {}", node.describe()),
        )
    }

    pub(crate) fn ignore(&mut self, path: String) {
        self.ignored.push(path);
    }

    /// The entries of a mapping; `None` for null (LiteLLM treats a null section as empty).
    pub(crate) fn map<'n>(&self, node: &'n Node, path: &str) -> Res<Option<&'n [(Key, Node)]>> {
        match &node.kind {
            Kind::Map(entries) => Ok(Some(entries)),
            _ if node.is_null() => Ok(None),
            _ => Err(self.expected(node, path, "a mapping")),
        }
    }

    /// The items of a list; `None` for null.
    pub(crate) fn seq<'n>(&self, node: &'n Node, path: &str) -> Res<Option<&'n [Node]>> {
        match &node.kind {
            Kind::Seq(items) => Ok(Some(items)),
            _ if node.is_null() => Ok(None),
            _ => Err(self.expected(node, path, "a list")),
        }
    }

    /// A scalar's text after `os.environ/` resolution, and whether it is a string (quoted, or
    /// plain but not a YAML 1.1 null/bool/number). `None` for null and for unset variables
    /// (LiteLLM's `get_secret` returns None for those), the latter with a warning.
    fn text(&mut self, node: &Node, path: &str, what: &str) -> Res<Option<(String, bool)>> {
        let Kind::Scalar { text, .. } = &node.kind else {
            return Err(self.expected(node, path, what));
        };
        let scalar = node.scalar();
        if scalar == Some(Scalar::Null) {
            return Ok(None);
        }
        let is_str = matches!(scalar, Some(Scalar::Str(_)));
        if !is_str {
            return Ok(Some((text.clone(), false)));
        }
        match self.env.resolve_ref(text) {
            Ok(None) => Ok(Some((text.clone(), true))),
            Ok(Some(value)) => Ok(Some((value.to_string(), true))),
            Err(_) => {
                self.warnings.push(format!("{path}: {text} is not set"));
                Ok(None)
            }
        }
    }

    /// A string; numbers and booleans keep their text (Python would hold them as such, and
    /// every consumer here wants text).
    pub(crate) fn string(&mut self, node: &Node, path: &str) -> Res<Option<String>> {
        Ok(self.text(node, path, "a string")?.map(|(t, _)| t))
    }

    /// A required string: missing, null or an unset variable is an error at `parent`.
    pub(crate) fn required_string(
        &mut self,
        entries: &[(Key, Node)],
        parent_node: &Node,
        parent: &str,
        key: &str,
    ) -> Res<String> {
        let Some((_, node)) = entries.iter().find(|(k, _)| k.text == key) else {
            return Err(self.invalid(parent_node, parent, format!("missing field {key}")));
        };
        let path = join(parent, key);
        if let Some(Scalar::Str(text)) = node.scalar() {
            if self.env.resolve_ref(text).is_err() {
                // A required field cannot fall back to None the way get_secret's callers do.
                return Err(self.invalid(node, &path, format!("{text} is not set")));
            }
        }
        match self.string(node, &path)? {
            Some(s) => Ok(s),
            None => Err(self.invalid(parent_node, parent, format!("missing field {key}"))),
        }
    }

    /// A scalar read by `parse` (given its text and whether it is a string); a value `parse`
    /// rejects is an error naming what was expected and what was found.
    fn typed<T>(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        parse: impl FnOnce(&str, bool) -> Option<T>,
    ) -> Res<Option<T>> {
        let Some((text, is_str)) = self.text(node, path, what)? else {
            return Ok(None);
        };
        match parse(&text, is_str) {
            Some(v) => Ok(Some(v)),
            None => Err(self.invalid(
                node,
                path,
                format!("expected {what}, got {}", shown(&text, is_str)),
            )),
        }
    }

    /// A finite number. Strings holding a number are accepted, as pydantic's lax mode and
    /// Python's `float()` accept them in LiteLLM.
    pub(crate) fn number(&mut self, node: &Node, path: &str) -> Res<Option<f64>> {
        self.typed(node, path, "a number", |text, is_str| {
            float_of(text, is_str).filter(|v| v.is_finite())
        })
    }

    /// A non-negative integer (`100`, `100.0`, `"100"`), as pydantic's `int` accepts.
    pub(crate) fn uint(&mut self, node: &Node, path: &str) -> Res<Option<u64>> {
        self.typed(node, path, "a non-negative integer", |text, is_str| {
            let trimmed = text.trim();
            let exact = if is_str {
                trimmed.parse::<u64>().ok()
            } else {
                match resolve_plain(trimmed) {
                    Scalar::Int(i) => u64::try_from(i).ok(),
                    _ => None,
                }
            };
            exact.or_else(|| {
                let f = float_of(trimmed, is_str)?;
                // u64::MAX as f64 rounds up to 2^64, so compare strictly.
                (f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64).then_some(f as u64)
            })
        })
    }

    /// Seconds (int, float or numeric string) as a Duration.
    pub(crate) fn seconds(&mut self, node: &Node, path: &str) -> Res<Option<Duration>> {
        self.typed(
            node,
            path,
            "a non-negative number of seconds",
            |text, is_str| float_of(text, is_str).and_then(|v| Duration::try_from_secs_f64(v).ok()),
        )
    }

    /// A boolean: YAML 1.1 forms (`true`, `yes`, `on`, ...) and the strings "true"/"false".
    pub(crate) fn boolean(&mut self, node: &Node, path: &str) -> Res<Option<bool>> {
        self.typed(node, path, "a boolean", |text, _| {
            match resolve_plain(text.trim()) {
                Scalar::Bool(b) => Some(b),
                _ => None,
            }
        })
    }
}

/// The number a scalar holds: a numeric string as Python's `float()` reads it, a plain YAML
/// int or float as resolved; `None` for anything else.
fn float_of(text: &str, is_str: bool) -> Option<f64> {
    if is_str {
        return parse_number_text(text);
    }
    match resolve_plain(text) {
        Scalar::Int(i) => Some(i as f64),
        Scalar::Float(f) => Some(f),
        _ => None,
    }
}

/// How a value appears in an error: strings quoted, other scalars as written.
fn shown(text: &str, is_str: bool) -> String {
    if is_str {
        crate::scalar::quote(text)
    } else {
        text.to_string()
    }
}

/// A number written as a string: surrounding spaces and `_` separators allowed, any form
/// Python's `float()` reads; non-finite results are rejected by the callers.
fn parse_number_text(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let clean: String = t.chars().filter(|&c| c != '_').collect();
    clean.parse::<f64>().ok()
}
