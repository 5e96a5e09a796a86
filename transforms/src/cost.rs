//! Bundled per-token prices for common models and the cost number as LiteLLM prints it.

use crate::usage::Usage;

/// USD per token, as in LiteLLM's `model_prices_and_context_window.json`
/// (`input_cost_per_token`, `output_cost_per_token`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub input_per_token: f64,
    pub output_per_token: f64,
}

/// Key in LiteLLM's table (`model` for OpenAI, `provider/model` otherwise), input, output.
/// Values copied from LiteLLM's table; a deployment's `model_info` overrides them in the server.
static PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o", 2.5e-6, 1e-5),
    ("gpt-4o-mini", 1.5e-7, 6e-7),
    ("gpt-4.1", 2e-6, 8e-6),
    ("gpt-4.1-mini", 4e-7, 1.6e-6),
    ("gpt-4.1-nano", 1e-7, 4e-7),
    ("o1", 1.5e-5, 6e-5),
    ("o3", 2e-6, 8e-6),
    ("o3-mini", 1.1e-6, 4.4e-6),
    ("o4-mini", 1.1e-6, 4.4e-6),
    ("gpt-3.5-turbo", 1.5e-6, 2e-6),
    ("gpt-3.5-turbo-instruct", 1.5e-6, 2e-6),
    ("gpt-4-turbo", 1e-5, 3e-5),
    ("gpt-4", 3e-5, 6e-5),
    ("text-embedding-3-small", 2e-8, 0.0),
    ("text-embedding-3-large", 1.3e-7, 0.0),
    ("text-embedding-ada-002", 1e-7, 0.0),
    ("groq/llama-3.1-8b-instant", 5e-8, 8e-8),
    ("groq/llama-3.3-70b-versatile", 5.9e-7, 7.9e-7),
    ("deepseek/deepseek-chat", 2.8e-7, 4.2e-7),
    ("deepseek/deepseek-reasoner", 2.8e-7, 4.2e-7),
    ("mistral/mistral-large-latest", 2e-6, 6e-6),
    ("mistral/mistral-small-latest", 1e-7, 3e-7),
    ("xai/grok-3", 3e-6, 1.5e-5),
    ("xai/grok-3-mini", 3e-7, 5e-7),
    (
        "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        8.8e-7,
        8.8e-7,
    ),
    ("claude-3-5-sonnet-20241022", 3e-6, 1.5e-5),
    ("claude-3-5-haiku-20241022", 8e-7, 4e-6),
    ("claude-3-7-sonnet-20250219", 3e-6, 1.5e-5),
    ("claude-sonnet-4-20250514", 3e-6, 1.5e-5),
    ("claude-sonnet-4-5", 3e-6, 1.5e-5),
    ("gemini-2.5-flash", 3e-7, 2.5e-6),
    ("claude-3-opus-20240229", 1.5e-5, 7.5e-5),
];

/// Price of `provider_model` on `provider`: LiteLLM's lookup order, `"provider/model"` first,
/// then the bare model name.
pub fn bundled_prices(provider: &str, provider_model: &str) -> Option<Prices> {
    let find = |key: &dyn Fn(&str) -> bool| {
        PRICES
            .iter()
            .find(|(k, _, _)| key(k))
            .map(|&(_, i, o)| Prices {
                input_per_token: i,
                output_per_token: o,
            })
    };
    let prefixed = |k: &str| {
        k.strip_prefix(provider)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|m| m == provider_model)
    };
    find(&prefixed)
        .or_else(|| find(&|k: &str| k == provider_model))
        .or_else(|| {
            // Dated snapshots ("gpt-4o-2024-08-06") cost what their family does when the table
            // has no row of their own.
            let base = strip_date_suffix(provider_model)?;
            bundled_prices(provider, base)
        })
}

/// "gpt-4o-2024-08-06" -> "gpt-4o"; None when the name has no `-YYYY-MM-DD` suffix.
fn strip_date_suffix(model: &str) -> Option<&str> {
    let (base, date) = model.split_at_checked(model.len().checked_sub(11)?)?;
    let d = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| d[r].iter().all(u8::is_ascii_digit);
    (d[0] == b'-' && digits(1..5) && d[5] == b'-' && digits(6..8) && d[8] == b'-' && digits(9..11))
        .then_some(base)
}

/// Cost in USD, summed as LiteLLM does: prompt cost plus completion cost.
pub fn cost(usage: &Usage, prices: &Prices) -> f64 {
    usage.prompt_tokens as f64 * prices.input_per_token
        + usage.completion_tokens as f64 * prices.output_per_token
}

/// Appends `cost` as Python's `repr(float)` (what LiteLLM puts in `x-litellm-response-cost`):
/// shortest round-trip digits, positional when the decimal exponent is in -4..16, else
/// scientific with a signed two-digit exponent (`1.5e-05`); whole numbers keep `.0`.
pub fn write_cost(cost: f64, out: &mut Vec<u8>) {
    if cost.is_nan() {
        out.extend_from_slice("nan".as_bytes());
        return;
    }
    if cost.is_infinite() {
        out.extend_from_slice(if cost > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(cost);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // Split ryu's output (either "123.45" or "1.2345e-7") into digits and a decimal exponent.
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // On the stack: a header per request should not allocate. ryu writes at most 24 bytes.
    let mut held = [0u8; 32];
    let mut len = 0;
    for d in int_part.bytes().chain(frac_part.bytes()).take(held.len()) {
        held[len] = d;
        len += 1;
    }
    let mut point = int_part.len() as i32 + exp; // digits[..point] are the integer part
    let lead = held[..len].iter().take_while(|&&d| d == b'0').count();
    let mut digits = &held[lead..len];
    point -= lead as i32;
    while let [rest @ .., b'0'] = digits {
        digits = rest;
    }
    if negative {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.extend_from_slice("0.0".as_bytes());
        return;
    }
    let push = |out: &mut Vec<u8>, d: &[u8]| out.extend_from_slice(d);
    if (-3..=16).contains(&point) {
        if point <= 0 {
            out.extend_from_slice("0.".as_bytes());
            out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
            push(out, digits);
        } else if point as usize >= digits.len() {
            push(out, digits);
            out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
            out.extend_from_slice(".0".as_bytes());
        } else {
            let (i, f) = digits.split_at(point as usize);
            push(out, i);
            out.push(b'.');
            push(out, f);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            push(out, &digits[1..]);
        }
        let e = point - 1;
        out.push(b'e');
        out.push(if e < 0 { b'-' } else { b'+' });
        if e.abs() < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(e.abs()).as_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut s = Vec::new();
        write_cost(x, &mut s);
        String::from_utf8(s).unwrap()
    }

    #[test]
    fn python_float_repr() {
        // Expected strings are what CPython's repr() prints for the same doubles.
        assert_eq!(repr(0.0), "0.0");
        assert_eq!(repr(1.5e-5), "1.5e-05");
        assert_eq!(repr(0.0001), "0.0001");
        assert_eq!(repr(0.00015), "0.00015");
        assert_eq!(repr(2.0), "2.0");
        assert_eq!(repr(123.456), "123.456");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1e15), "1000000000000000.0");
        assert_eq!(repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(repr(-2.5e-7), "-2.5e-07");
        assert_eq!(repr(1.2345e-10), "1.2345e-10");
    }

    #[test]
    fn dated_snapshots_fall_back_to_their_family() {
        let family = bundled_prices("openai", "gpt-4o").unwrap();
        assert_eq!(bundled_prices("openai", "gpt-4o-2024-08-06"), Some(family));
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(strip_date_suffix("gpt-4o-mini"), None);
        assert_eq!(strip_date_suffix("x-2024-8-06a"), None);
        assert_eq!(strip_date_suffix("short"), None);
        assert!(bundled_prices("openai", "unknown-2024-08-06").is_none());
    }

    #[test]
    fn lookup_and_cost() {
        let p = bundled_prices("openai", "gpt-4o").unwrap();
        assert_eq!(p.input_per_token, 2.5e-6);
        assert!(bundled_prices("groq", "llama-3.3-70b-versatile").is_some());
        assert!(bundled_prices("openai", "llama-3.3-70b-versatile").is_none());
        assert!(bundled_prices("together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo").is_some());
        let u = Usage {
            prompt_tokens: 10,
            completion_tokens: 20,
            total_tokens: 30,
        };
        let c = cost(&u, &p);
        assert_eq!(c, 10.0 * 2.5e-6 + 20.0 * 1e-5);
        let mut s = Vec::new();
        write_cost(c, &mut s);
        // The same doubles CPython adds; its repr prints exactly this.
        assert_eq!(s, b"0.00022500000000000002");
    }
}
