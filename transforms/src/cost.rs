//! Per-token prices from LiteLLM's cost map (bundled) and the cost number as LiteLLM prints it.

use crate::usage::Usage;

/// USD per token, as in LiteLLM's `model_prices_and_context_window.json`
/// (`input_cost_per_token`, `output_cost_per_token`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub input_per_token: f64,
    pub output_per_token: f64,
}

/// LiteLLM's per-token prices (`model_prices_and_context_window.json`'s `input_cost_per_token`
/// and `output_cost_per_token`), one `key<TAB>input<TAB>output` line a model, keyed as LiteLLM
/// keys them (`model` for OpenAI and Bedrock, `provider/model` for most others). Regenerate with
/// `scripts/litellm-prices.py`. Text rather than a static array of `&str`: it needs no
/// relocation at load, so its pages stay shared and untouched until a deployment is priced
/// (at start-up, never per request).
const PRICE_TABLE: &str = include_str!("cost/prices.tsv");

/// The table's row for exactly `key`.
fn table_prices(key: &str) -> Option<Prices> {
    PRICE_TABLE.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix('\t')?;
        let (input, output) = rest.split_once('\t')?;
        Some(Prices {
            input_per_token: input.parse().ok()?,
            output_per_token: output.parse().ok()?,
        })
    })
}

/// Price of `provider_model` on `provider`: LiteLLM's lookup order, `"provider/model"` first,
/// then the bare model name.
pub fn bundled_prices(provider: &str, provider_model: &str) -> Option<Prices> {
    let prefixed = (!provider.is_empty())
        .then(|| table_prices(&format!("{provider}/{provider_model}")))
        .flatten();
    prefixed
        .or_else(|| table_prices(provider_model))
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

/// Adds LiteLLM's `cost` member to the usage object that ends `out` (its closing brace last),
/// as LiteLLM's stream chunk builder stamps a translated stream's usage: the cost at `prices`
/// when it is positive, else nothing.
pub fn stamp_usage(prices: Option<Prices>, usage: &Usage, out: &mut Vec<u8>) {
    let Some(prices) = prices else {
        return;
    };
    let cost = cost(usage, &prices);
    if !(cost.is_finite() && cost > 0.0) || out.last() != Some(&b'}') {
        return;
    }
    out.pop();
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.extend_from_slice(b"\"cost\":");
    write_cost(cost, out);
    out.push(b'}');
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
    fn stamps_a_positive_cost_into_a_usage_object() {
        let gemini = bundled_prices("gemini", "gemini-2.5-flash");
        let u = Usage {
            prompt_tokens: 8,
            completion_tokens: 12,
            total_tokens: 20,
        };
        let mut out = br#"{"usage":{"total_tokens":20}"#.to_vec();
        stamp_usage(gemini, &u, &mut out);
        // LiteLLM's answer for the same usage (chat-gemini-stream-usage).
        assert_eq!(out, br#"{"usage":{"total_tokens":20,"cost":3.24e-05}"#);
        for (prices, usage) in [(None, u), (gemini, Usage::default())] {
            let mut out = b"{}".to_vec();
            stamp_usage(prices, &usage, &mut out);
            assert_eq!(out, b"{}");
        }
    }

    #[test]
    fn lookup_and_cost() {
        let p = bundled_prices("openai", "gpt-4o").unwrap();
        assert_eq!(p.input_per_token, 2.5e-6);
        // `provider/model` keys, and bare ones on any provider (Bedrock's model ids).
        assert!(bundled_prices("gemini", "gemini-2.5-flash").is_some());
        assert!(bundled_prices("openai", "gemini-2.5-flash-not-a-model").is_none());
        let bedrock = bundled_prices("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0");
        assert_eq!(bedrock.map(|p| p.output_per_token), Some(1.5e-5));
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
