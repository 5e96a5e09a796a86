//! Per-token prices from LiteLLM's cost map (bundled) and the cost number as LiteLLM prints it.

use crate::usage::Usage;

/// USD per token for one deployment, as in LiteLLM's `model_prices_and_context_window.json`.
/// A rate that is `None` is absent from the map; LiteLLM then bills those tokens at the input
/// rate (cache reads and writes; an hour's cache write at the cache write rate) or at the output
/// rate (reasoning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// `input_cost_per_token`.
    pub input_per_token: f64,
    /// `output_cost_per_token`.
    pub output_per_token: f64,
    /// `cache_read_input_token_cost`.
    pub cache_read_per_token: Option<f64>,
    /// `cache_creation_input_token_cost`.
    pub cache_creation_per_token: Option<f64>,
    /// `cache_creation_input_token_cost_above_1hr`.
    pub cache_creation_1h_per_token: Option<f64>,
    /// `output_cost_per_reasoning_token`.
    pub reasoning_per_token: Option<f64>,
    /// The rates above a prompt size (`*_above_<N>k_tokens`).
    pub tier: Option<Tier>,
    /// Whether a prompt of exactly the tier's threshold is billed above it (xAI's rule).
    pub tier_inclusive: bool,
}

/// Rates that replace the base ones when the prompt has more than `above` tokens. A `None`
/// keeps the base rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    pub above: u64,
    pub input_per_token: Option<f64>,
    pub output_per_token: Option<f64>,
    pub cache_read_per_token: Option<f64>,
    pub cache_creation_per_token: Option<f64>,
}

impl Prices {
    /// Input and output rates only (a deployment's own `input_cost_per_token` and
    /// `output_cost_per_token`): every other token is billed at one of these two.
    pub fn flat(input_per_token: f64, output_per_token: f64) -> Prices {
        Prices {
            input_per_token,
            output_per_token,
            cache_read_per_token: None,
            cache_creation_per_token: None,
            cache_creation_1h_per_token: None,
            reasoning_per_token: None,
            tier: None,
            tier_inclusive: false,
        }
    }

    /// Takes `backend`'s cache rates where these prices have none, as LiteLLM's router does
    /// for a deployment with its own input rate (`_inherit_builtin_cache_pricing`): the cache
    /// read and write rates, an hour's write rate, and the cache rates above a 200k-token
    /// prompt (the only tier it copies; the input and output rates stay these prices' own).
    pub fn inherit_cache_rates(&mut self, backend: &Prices) {
        self.cache_read_per_token = self.cache_read_per_token.or(backend.cache_read_per_token);
        self.cache_creation_per_token = self
            .cache_creation_per_token
            .or(backend.cache_creation_per_token);
        self.cache_creation_1h_per_token = self
            .cache_creation_1h_per_token
            .or(backend.cache_creation_1h_per_token);
        if let Some(t) = backend.tier.filter(|t| t.above == 200_000) {
            if self.tier.is_none()
                && (t.cache_read_per_token.is_some() || t.cache_creation_per_token.is_some())
            {
                self.tier = Some(Tier {
                    above: t.above,
                    input_per_token: None,
                    output_per_token: None,
                    ..t
                });
            }
        }
    }
}

/// LiteLLM's per-token prices (`model_prices_and_context_window.json`), one tab-separated line a
/// model, keyed as LiteLLM keys them (`model` for OpenAI and Bedrock, `provider/model` for most
/// others); the columns are named in the file's first line, and empty or missing ones are rates
/// the map does not have. Regenerate with `scripts/litellm-prices.py`. Text rather than a static
/// array of `&str`: it needs no relocation at load, so its pages stay shared and untouched until
/// a deployment is priced (at start-up, never per request).
const PRICE_TABLE: &str = include_str!("cost/prices.tsv");

/// The table's row for exactly `key`; a malformed row is no row.
fn table_prices(key: &str) -> Option<Prices> {
    let line = PRICE_TABLE
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('\t'))?;
    let mut cols = line.split('\t');
    let mut rate = || -> Result<Option<f64>, ()> {
        match cols.next() {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(drop),
        }
    };
    let (input, output) = (rate().ok()??, rate().ok()??);
    let mut prices = Prices::flat(input, output);
    prices.cache_read_per_token = rate().ok()?;
    prices.cache_creation_per_token = rate().ok()?;
    prices.cache_creation_1h_per_token = rate().ok()?;
    prices.reasoning_per_token = rate().ok()?;
    if let Some(above) = rate().ok()? {
        prices.tier = Some(Tier {
            above: above as u64,
            input_per_token: rate().ok()?,
            output_per_token: rate().ok()?,
            cache_read_per_token: rate().ok()?,
            cache_creation_per_token: rate().ok()?,
        });
    }
    Some(prices)
}

/// Price of `provider_model` on `provider`: LiteLLM's lookup order, `"provider/model"` first,
/// then the bare model name; with the provider's own defaults (Fireworks AI's cache reads at
/// half the input rate, xAI's inclusive tier threshold).
pub fn bundled_prices(provider: &str, provider_model: &str) -> Option<Prices> {
    let mut prices = lookup(provider, provider_model)?;
    match provider {
        // `apply_provider_cache_read_default` (FIREWORKS_AI_DEFAULT_CACHE_READ_RATE_RATIO).
        "fireworks_ai" if prices.cache_read_per_token.is_none() => {
            prices.cache_read_per_token = Some(prices.input_per_token * 0.5);
        }
        // `_INCLUSIVE_THRESHOLD_PROVIDERS`.
        "xai" => prices.tier_inclusive = true,
        _ => {}
    }
    Some(prices)
}

fn lookup(provider: &str, provider_model: &str) -> Option<Prices> {
    by_key(provider, provider_model, &table_prices)
}

/// `find` by LiteLLM's keys for a model: `"provider/model"` first, then the bare name; a
/// dated snapshot ("gpt-4o-2024-08-06") falls back on its family's row.
fn by_key<T>(provider: &str, provider_model: &str, find: &dyn Fn(&str) -> Option<T>) -> Option<T> {
    let prefixed = (!provider.is_empty())
        .then(|| find(&format!("{provider}/{provider_model}")))
        .flatten();
    prefixed.or_else(|| find(provider_model)).or_else(|| {
        let base = strip_date_suffix(provider_model)?;
        by_key(provider, base, find)
    })
}

/// LiteLLM's context windows (`max_input_tokens` of its cost map), one `key<TAB>tokens` line
/// a model; regenerate with `scripts/litellm-prices.py`.
const CONTEXT_WINDOWS: &str = include_str!("context_windows.txt");

/// The bundled context window of `provider_model` on `provider` (the router's pre-call
/// checks), looked up as prices are.
pub fn max_input_tokens(provider: &str, provider_model: &str) -> Option<u64> {
    by_key(provider, provider_model, &|key| {
        CONTEXT_WINDOWS
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('\t'))?
            .trim()
            .parse()
            .ok()
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

/// Cost in USD as LiteLLM's `generic_cost_per_token` sums it, term by term in its order (so
/// the double is the same): the prompt's uncached tokens at the input rate, plus cache reads,
/// plus cache writes (the hour-long ones at their own rate); then the completion's text
/// tokens at the output rate plus its reasoning tokens at the reasoning rate. Above the tier's
/// threshold every rate the tier names replaces the base one, and the defaults follow it.
/// Not priced (LiteLLM prices them): audio, image and video tokens at their own rates,
/// `tiered_pricing` tables, service tiers, batch and off-peak rates, regional uplifts.
pub fn cost(usage: &Usage, prices: &Prices) -> f64 {
    let (mut input, mut output) = (prices.input_per_token, prices.output_per_token);
    let (mut read, mut creation) = (prices.cache_read_per_token, prices.cache_creation_per_token);
    if let Some(t) = &prices.tier {
        let p = usage.prompt_tokens;
        if p > t.above || (prices.tier_inclusive && p == t.above) {
            input = t.input_per_token.unwrap_or(input);
            output = t.output_per_token.unwrap_or(output);
            read = t.cache_read_per_token.or(read);
            creation = t.cache_creation_per_token.or(creation);
        }
    }
    let read = read.unwrap_or(input);
    let creation = creation.unwrap_or(input);
    let creation_1h = prices.cache_creation_1h_per_token.unwrap_or(creation);

    let (cached, written) = (usage.cached_tokens, usage.cache_creation_tokens);
    let text = usage
        .prompt_tokens
        .saturating_sub(cached)
        .saturating_sub(written);
    let mut prompt = text as f64 * input;
    prompt += cached as f64 * read;
    if written > 0 {
        let hour = usage.cache_creation_1h_tokens.min(written);
        prompt += (written - hour) as f64 * creation + hour as f64 * creation_1h;
    }
    let reasoning = usage.reasoning_tokens;
    let completion = if reasoning > 0 {
        let text = usage.completion_tokens.saturating_sub(reasoning);
        text as f64 * output + reasoning as f64 * prices.reasoning_per_token.unwrap_or(output)
    } else {
        usage.completion_tokens as f64 * output
    };
    prompt + completion
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
///
/// ryu writes the same shortest digits, positionally for decimal exponents -5..16: there its
/// text already is Python's, except from 1e-5 to 1e-4 (`0.0000ddd`, Python's `d.dde-05`),
/// which is rewritten directly. Costs of small requests fall in these ranges, and this runs for
/// every response's head; every other number goes through [`write_cost_digits`].
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
    let text = buf.format_finite(cost).as_bytes();
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    // A fraction ending in 0 (never seen from ryu) is left to the general path, which trims it.
    let trimmed = !matches!(unsigned, [.., b'0'] if !unsigned.ends_with(b".0"));
    if trimmed && !unsigned.contains(&b'e') {
        match unsigned.strip_prefix(b"0.0000") {
            None => out.extend_from_slice(text),
            Some([first @ b'1'..=b'9', rest @ ..]) => {
                out.extend_from_slice(&text[..text.len() - unsigned.len()]);
                out.push(*first);
                if !rest.is_empty() {
                    out.push(b'.');
                    out.extend_from_slice(rest);
                }
                out.extend_from_slice(b"e-05");
            }
            Some(_) => write_cost_digits(text, out),
        }
        return;
    }
    write_cost_digits(text, out);
}

/// [`write_cost`] for any text ryu wrote for a finite number: its digits and decimal exponent
/// read back and written as Python does.
fn write_cost_digits(text: &[u8], out: &mut Vec<u8>) {
    let text = std::str::from_utf8(text).unwrap_or_default();
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
        assert_eq!(repr(8.5e-5), "8.5e-05");
        assert_eq!(repr(1e-5), "1e-05");
        assert_eq!(repr(-9.25e-5), "-9.25e-05");
        assert_eq!(repr(-0.0), "-0.0");
    }

    /// [`write_cost`] as it was before the fast path: every number read back from ryu's text.
    fn repr_before(cost: f64) -> String {
        let mut out = Vec::new();
        if cost.is_nan() {
            out.extend_from_slice(b"nan");
        } else if cost.is_infinite() {
            out.extend_from_slice(if cost > 0.0 { b"inf" } else { b"-inf" });
        } else {
            write_cost_digits(ryu::Buffer::new().format_finite(cost).as_bytes(), &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fast_path_prints_what_the_general_path_prints() {
        let mut rng = fastrand::Rng::with_seed(3);
        let check = |x: f64| assert_eq!(repr(x), repr_before(x), "{x:e} {:#x}", x.to_bits());
        for _ in 0..300_000 {
            // Any double, then typical costs: a random mantissa at every decimal exponent.
            check(f64::from_bits(rng.u64(..)));
            let exp = rng.i32(-30..30);
            check(rng.f64() * 10f64.powi(exp));
            // Token counts times per-token prices, summed as `cost` sums them.
            let price = (rng.u64(1..100_000) as f64) * 10f64.powi(rng.i32(-12..-4));
            check(rng.u64(..2_000_000) as f64 * price + rng.u64(..100_000) as f64 * price * 4.0);
            check(-(rng.u64(..1 << 53) as f64));
        }
        // Around every power of ten, where the notation changes.
        for exp in -330..=310 {
            let p = format!("1e{exp}").parse::<f64>().unwrap();
            let mut x = p;
            for _ in 0..50 {
                x = f64::from_bits(x.to_bits().wrapping_sub(1));
            }
            for _ in 0..100 {
                check(x);
                check(-x);
                x = f64::from_bits(x.to_bits().wrapping_add(1));
            }
        }
        for x in [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            8.5e-5,
            1e-5,
            9.999999999999999e-5,
            1e-4,
            123456789012345680.0,
            1e16,
            9007199254740993.0,
        ] {
            check(x);
        }
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
        let u = Usage::counts(8, 12, 20);
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

    /// Costs LiteLLM 1.108.7's `generic_cost_per_token` computes for the same usage and cost
    /// map (the sums of its prompt and completion costs, printed with Python's `repr`).
    #[test]
    fn cache_reasoning_and_tier_costs_are_litellm_s() {
        let usage = |p, c, cached, creation, reasoning| Usage {
            cached_tokens: cached,
            cache_creation_tokens: creation,
            reasoning_tokens: reasoning,
            ..Usage::counts(p, c, p + c)
        };
        let cases = [
            (
                ("anthropic", "claude-sonnet-4-5"),
                usage(3500, 300, 2000, 500, 100),
                "0.009975000000000001",
            ),
            (
                ("openai", "gpt-4o"),
                usage(1500, 200, 1024, 0, 0),
                "0.00447",
            ),
            (("openai", "o3"), usage(37, 500, 0, 0, 300), "0.004074"),
            (
                ("gemini", "gemini-2.5-flash"),
                usage(900, 120, 600, 0, 80),
                "0.00040800000000000005",
            ),
            // Above the 200k tier, cache reads at the tier's rate.
            (
                ("gemini", "gemini-2.5-pro"),
                usage(250_000, 1000, 100_000, 0, 0),
                "0.4150000000000001",
            ),
            // xAI's threshold is inclusive.
            (("xai", "grok-4.20"), usage(200_000, 10, 0, 0, 0), "0.50005"),
            (
                ("xai", "grok-4.20"),
                usage(199_999, 10, 0, 0, 0),
                "0.25002375000000004",
            ),
            (
                ("bedrock", "anthropic.claude-sonnet-4-20250514-v1:0"),
                usage(210_000, 7, 4000, 5000, 0),
                "1.2460575",
            ),
            (
                ("deepseek", "deepseek-chat"),
                usage(64, 9, 40, 0, 0),
                "1.162e-05",
            ),
        ];
        for ((provider, model), u, litellm) in cases {
            let p = bundled_prices(provider, model).unwrap();
            assert_eq!(repr(cost(&u, &p)), litellm, "{provider}/{model}");
        }
        // An hour's cache writes at their own rate (Anthropic's `cache_creation` details).
        let p = bundled_prices("anthropic", "claude-sonnet-4-5").unwrap();
        let u = Usage {
            cache_creation_1h_tokens: 200,
            ..usage(3500, 300, 2000, 500, 100)
        };
        assert_eq!(repr(cost(&u, &p)), "0.010425");
        // Fireworks AI reads its cache at half the input rate when the map has no rate.
        let fw = bundled_prices("fireworks_ai", "accounts/fireworks/models/SSD-1B").unwrap();
        assert_eq!(fw.cache_read_per_token, Some(fw.input_per_token * 0.5));
    }

    #[test]
    fn context_windows() {
        assert_eq!(max_input_tokens("openai", "gpt-4o"), Some(128_000));
        // A dated snapshot without its own row takes its family's.
        assert_eq!(
            max_input_tokens("openai", "gpt-4o-mini-2099-01-01"),
            Some(128_000)
        );
        assert_eq!(max_input_tokens("openai", "no-such-model"), None);
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
        let u = Usage::counts(10, 20, 30);
        let c = cost(&u, &p);
        assert_eq!(c, 10.0 * 2.5e-6 + 20.0 * 1e-5);
        let mut s = Vec::new();
        write_cost(c, &mut s);
        // The same doubles CPython adds; its repr prints exactly this.
        assert_eq!(s, b"0.00022500000000000002");
    }
}
