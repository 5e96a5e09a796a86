//! A YAML value kept as written (model_info extras), with a JSON writer for `/model/info`.

use std::fmt::Write as _;

use crate::node::{Kind, Node};
use crate::scalar::Scalar;

/// A YAML value kept as-is (for model_info extras).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    /// Appends this value as JSON. Non-finite floats become `null` (JSON has no NaN/inf).
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) if f.is_finite() => {
                // Debug keeps a fractional part or exponent ("1.0", "1e-7"): valid JSON that
                // still reads back as a float.
                let _ = write!(out, "{f:?}");
            }
            Value::Float(_) => out.push_str("null"),
            Value::String(s) => write_json_string(s, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    pub(crate) fn from_node(node: &Node) -> Value {
        match &node.kind {
            Kind::Seq(items) => Value::List(items.iter().map(Value::from_node).collect()),
            Kind::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.text.clone(), Value::from_node(v)))
                    .collect(),
            ),
            Kind::Scalar { text, .. } => match node.scalar() {
                Some(Scalar::Null) => Value::Null,
                Some(Scalar::Bool(b)) => Value::Bool(b),
                Some(Scalar::Int(i)) => Value::Int(i),
                Some(Scalar::Float(f)) => Value::Float(f),
                Some(Scalar::Str(_)) | None => Value::String(text.clone()),
            },
        }
    }
}

/// JSON string per RFC 8259 §7: quote, backslash and control characters escaped.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: &Value) -> String {
        let mut s = String::new();
        v.write_json(&mut s);
        s
    }

    #[test]
    fn writes_json() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Null, "null"),
            (Value::Bool(true), "true"),
            (Value::Bool(false), "false"),
            (Value::Int(-42), "-42"),
            (Value::Float(1.0), "1.0"),
            (Value::Float(2.5e-7), "2.5e-7"),
            (Value::Float(f64::NAN), "null"),
            (Value::Float(f64::INFINITY), "null"),
            (Value::Float(f64::NEG_INFINITY), "null"),
            (
                Value::String("a\"b\\c\nd\te\u{1}f\u{7f}é".into()),
                "\"a\\\"b\\\\c\\nd\\te\\u0001f\u{7f}é\"",
            ),
            (Value::List(vec![]), "[]"),
            (Value::Map(vec![]), "{}"),
            (
                Value::Map(vec![
                    ("k\"".into(), Value::List(vec![Value::Int(1), Value::Null])),
                    ("x".into(), Value::String(String::new())),
                ]),
                "{\"k\\\"\":[1,null],\"x\":\"\"}",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(json(&value), want, "{value:?}");
        }
    }
}
