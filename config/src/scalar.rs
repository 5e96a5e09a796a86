//! Plain YAML scalars read as PyYAML's `safe_load` (YAML 1.1) reads them, since that is what LiteLLM sees.

/// A scalar read the way PyYAML's `safe_load` (YAML 1.1) reads it, which is what LiteLLM sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// Quotes (and shortens) a string for an error message.
pub(crate) fn quote(s: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Resolves a plain scalar with PyYAML's YAML 1.1 implicit resolvers (null, bool, int, float);
/// sexagesimal and timestamp forms stay strings.
pub(crate) fn resolve_plain(text: &str) -> Scalar<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false)
        }
        _ => {}
    }
    if let Some(i) = parse_yaml_int(text) {
        return Scalar::Int(i);
    }
    if let Some(f) = parse_yaml_float(text) {
        return Scalar::Float(f);
    }
    Scalar::Str(text)
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// YAML 1.1 int: decimal, `0b`, `0x`, leading-`0` octal, `_` separators. Out-of-range values
/// resolve as floats (PyYAML would make a big int; JSON readers would too).
fn parse_yaml_int(text: &str) -> Option<i64> {
    let (neg, body) = split_sign(text);
    let (radix, digits) = if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || digits.starts_with('_') {
        return None;
    }
    if radix == 10 && !body.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(&clean, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// YAML 1.1 float as PyYAML reads it: a dot is required (`1e3` is a string there),
/// plus `.inf`/`.nan` forms, and decimal ints too large for i64.
fn parse_yaml_float(text: &str) -> Option<f64> {
    let (neg, body) = split_sign(text);
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let dot = mantissa.find('.');
    let int_part = dot.map_or(mantissa, |i| &mantissa[..i]);
    let frac_part = dot.map_or("", |i| &mantissa[i + 1..]);
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let shape_ok = match dot {
        // "1.", "1.5", ".5"
        Some(_) => {
            digits_ok(int_part)
                && digits_ok(frac_part)
                && (int_part.starts_with(|c: char| c.is_ascii_digit())
                    || (int_part.is_empty() && frac_part.starts_with(|c: char| c.is_ascii_digit())))
        }
        // decimal integer beyond i64 range
        None => {
            exponent.is_none()
                && int_part.starts_with(|c: char| matches!(c, '1'..='9'))
                && digits_ok(int_part)
        }
    };
    let exp_ok = match exponent {
        None => true,
        Some(e) => {
            dot.is_some()
                && matches!(e.as_bytes().first(), Some(b'+' | b'-'))
                && e.len() > 1
                && e[1..].chars().all(|c| c.is_ascii_digit())
        }
    };
    if !shape_ok || !exp_ok {
        return None;
    }
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    clean.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_as_pyyaml_does() {
        use Scalar::*;
        let cases: &[(&str, Scalar<'_>)] = &[
            ("", Null),
            ("~", Null),
            ("NULL", Null),
            ("nil", Str("nil")),
            ("yes", Bool(true)),
            ("Off", Bool(false)),
            ("y", Str("y")),
            ("0", Int(0)),
            ("-17", Int(-17)),
            ("+5", Int(5)),
            ("1_000", Int(1000)),
            ("0x1F", Int(31)),
            ("0b101", Int(5)),
            ("017", Int(15)),
            ("08", Str("08")),
            ("9223372036854775808", Float(9_223_372_036_854_775_808.0)),
            ("1.5", Float(1.5)),
            ("1.", Float(1.0)),
            (".5", Float(0.5)),
            ("-2.5e-3", Float(-0.0025)),
            ("1.0e+6", Float(1e6)),
            // PyYAML's float needs a dot and a signed exponent.
            ("1e3", Str("1e3")),
            ("1.0e6", Str("1.0e6")),
            ("-.inf", Float(f64::NEG_INFINITY)),
            ("-.nan", Str("-.nan")),
            ("2024-02-01", Str("2024-02-01")),
            ("gpt-4o", Str("gpt-4o")),
            ("-", Str("-")),
            ("+", Str("+")),
            (".", Str(".")),
            ("0x", Str("0x")),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), *want, "{text:?}");
        }
        assert!(matches!(resolve_plain(".NaN"), Float(f) if f.is_nan()));
    }
}
