//! The reshaping LiteLLM's `/v1/messages` configs apply to a Claude request before it goes to
//! a provider that hosts Claude (Bedrock's Invoke, Vertex AI), decided per model
//! ([`ClaudeCaps`]): the OpenAI-style `reasoning_effort`, adaptive thinking and effort for
//! models that predate them (`_translate_adaptive_effort_for_non_adaptive_model`), a
//! temperature other than 1 under thinking, system-role turns (`_normalize_system_role_messages`),
//! cache control. A body is edited member by member ([`Obj`]): values nobody edits are copied
//! as they came.

use std::borrow::Cow;

use crate::anthropic::caps::ClaudeCaps;
use crate::anthropic::request::{effort_budget, Result};
use crate::json::top_members;
use crate::json::value::{elements, get, is_object, key_of, string};
use crate::json::write_json_string;

/// The `anthropic-beta` values a Claude host takes: the client's header values and the
/// `needed` ones, as the host names them (`rename`, `None` for one it does not take; LiteLLM's
/// `anthropic_beta_headers_config.json`), sorted, without repeats.
pub(crate) fn host_betas(
    client: Option<&str>,
    needed: &[&str],
    rename: fn(&str) -> Option<&'static str>,
) -> Vec<&'static str> {
    let mut betas: Vec<&'static str> = client
        .into_iter()
        .flat_map(|h| h.split(','))
        .chain(needed.iter().copied())
        .map(str::trim)
        .filter_map(rename)
        .collect();
    betas.sort_unstable();
    betas.dedup();
    betas
}

/// The reshaping every Claude host gets: `reasoning_effort`, adaptive thinking and effort
/// for older models, temperature under thinking, system turns.
pub(crate) fn base(req: &mut Obj<'_>, caps: &ClaudeCaps, max_tokens: Option<u64>) -> Result<()> {
    reasoning_effort(req, caps, max_tokens)?;
    adaptive_for_older_models(req, caps, max_tokens)?;
    drop_temperature_under_thinking(req, caps);
    normalize_system_turns(req, caps)
}

/// `BEDROCK_MIN_THINKING_BUDGET_TOKENS` (and Anthropic's minimum budget).
pub(crate) const MIN_THINKING_BUDGET: u64 = 1024;

/// LiteLLM's `CONVERTED_SYSTEM_NOTE`, the first block of a system turn made a user turn.
pub(crate) const CONVERTED_SYSTEM_NOTE: &str = "Operator note (not from the user): the following was originally a mid-conversation system-role reminder.";

/// An object's members in order (unescaped key, raw value), a repeated key keeping its first
/// place and its last value (Python's dict). Values nobody edits stay borrowed.
#[derive(Debug, Default)]
pub(crate) struct Obj<'b>(pub(crate) Vec<(String, Cow<'b, [u8]>)>);

impl<'b> Obj<'b> {
    pub(crate) fn read(obj: &'b [u8]) -> Obj<'b> {
        let mut o = Obj::default();
        // Where each key is, so that reading stays linear whatever the object's size.
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for m in top_members(obj).into_iter().flatten() {
            if let Some(key) = key_of(obj, &m.key) {
                let value = Cow::Borrowed(&obj[m.value]);
                match at.get(&key) {
                    Some(&i) => o.0[i].1 = value,
                    None => {
                        at.insert(key.clone(), o.0.len());
                        o.0.push((key, value));
                    }
                }
            }
        }
        o
    }

    pub(crate) fn get(&self, key: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    pub(crate) fn str(&self, key: &str) -> Option<String> {
        self.get(key).and_then(string)
    }

    pub(crate) fn set(&mut self, key: &str, value: Cow<'b, [u8]>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    pub(crate) fn set_default(&mut self, key: &str, value: Cow<'b, [u8]>) {
        if self.get(key).is_none() {
            self.0.push((key.to_owned(), value));
        }
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Cow<'b, [u8]>> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (n, (k, v)) in self.0.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_json_string(k, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
        out.push(b'}');
    }

    pub(crate) fn bytes(&self) -> Cow<'b, [u8]> {
        let mut out = Vec::new();
        self.write(&mut out);
        Cow::Owned(out)
    }
}

pub(crate) fn owned(s: &str) -> Cow<'static, [u8]> {
    let mut v = Vec::with_capacity(s.len() + 2);
    write_json_string(s, &mut v);
    Cow::Owned(v)
}

pub(crate) fn as_u64(v: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(v?).ok()?.trim().parse().ok()
}

/// The OpenAI-style `reasoning_effort` alias (`_translate_reasoning_effort_to_anthropic`):
/// a thinking budget for older models, adaptive thinking with an effort for newer ones; the
/// client's own `thinking` and `output_config.effort` win.
pub(crate) fn reasoning_effort(
    req: &mut Obj<'_>,
    caps: &ClaudeCaps,
    max_tokens: Option<u64>,
) -> Result<()> {
    let Some(effort) = req.remove("reasoning_effort") else {
        return Ok(());
    };
    let Some(effort) = string(&effort) else {
        return Ok(());
    };
    let Some(budget) = effort_budget(&effort)? else {
        req.remove("thinking");
        req.remove("output_config");
        return Ok(());
    };
    if caps.adaptive {
        req.set_default(
            "thinking",
            Cow::Borrowed(br#"{"type":"adaptive","display":"summarized"}"#),
        );
        let mut oc = req.get("output_config").map(Obj::read).unwrap_or_default();
        oc.set_default(
            "effort",
            owned(if effort == "minimal" { "low" } else { &effort }),
        );
        let oc = oc.bytes().into_owned();
        req.set("output_config", Cow::Owned(oc));
    } else if let Some(budget) = cap_budget(budget, max_tokens) {
        req.set_default("thinking", enabled(budget));
    }
    Ok(())
}

pub(crate) fn enabled(budget: u64) -> Cow<'static, [u8]> {
    let mut v = b"{\"type\":\"enabled\",\"budget_tokens\":".to_vec();
    v.extend_from_slice(itoa::Buffer::new().format(budget).as_bytes());
    v.push(b'}');
    Cow::Owned(v)
}

/// `cap_thinking_budget_to_max_tokens`: below `max_tokens`, or none when even the minimum
/// budget does not fit.
pub(crate) fn cap_budget(budget: u64, max_tokens: Option<u64>) -> Option<u64> {
    match max_tokens {
        None => Some(budget),
        Some(max) if max <= MIN_THINKING_BUDGET => None,
        Some(max) if budget < max => Some(budget),
        Some(max) => Some(max - 1),
    }
}

pub(crate) fn thinking_type(req: &Obj<'_>) -> Option<String> {
    req.get("thinking")
        .filter(|t| is_object(t))
        .and_then(|t| get(t, "type"))
        .and_then(string)
}

pub(crate) fn effort_of(req: &Obj<'_>) -> Option<String> {
    req.get("output_config")
        .filter(|v| is_object(v))
        .and_then(|oc| get(oc, "effort"))
        .and_then(string)
}

/// `_translate_adaptive_effort_for_non_adaptive_model`: adaptive thinking and effort, which
/// Claude Code sends to every model, become what an older model takes.
pub(crate) fn adaptive_for_older_models(
    req: &mut Obj<'_>,
    caps: &ClaudeCaps,
    max_tokens: Option<u64>,
) -> Result<()> {
    if caps.adaptive {
        return Ok(());
    }
    let effort = effort_of(req);
    let adaptive = thinking_type(req).as_deref() == Some("adaptive");
    if effort.is_none() && !adaptive {
        return Ok(());
    }
    let effort_ok = !caps.effort_up_to_high
        || effort
            .as_deref()
            .is_none_or(|e| matches!(e, "low" | "medium" | "high"));
    if caps.output_config && (!adaptive || effort_ok) {
        if adaptive {
            req.remove("thinking");
        }
        return Ok(());
    }
    let budget = if caps.reasoning {
        effort_budget(effort.as_deref().unwrap_or("medium"))?
    } else {
        None
    };
    match budget.and_then(|b| cap_budget(b, max_tokens)) {
        Some(budget) => req.set("thinking", enabled(budget)),
        None => {
            req.remove("thinking");
        }
    }
    if effort.is_some() {
        if let Some(oc) = req.get("output_config").map(Obj::read) {
            let mut oc = oc;
            oc.remove("effort");
            if oc.is_empty() {
                req.remove("output_config");
            } else {
                let bytes = oc.bytes().into_owned();
                req.set("output_config", Cow::Owned(bytes));
            }
        }
    }
    Ok(())
}

/// `_drop_incompatible_temperature_for_thinking`: older models take only temperature 1 while
/// thinking.
pub(crate) fn drop_temperature_under_thinking(req: &mut Obj<'_>, caps: &ClaudeCaps) {
    if caps.adaptive {
        return;
    }
    let Some(t) = req.get("temperature") else {
        return;
    };
    if t == b"null"
        || std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            == Some(1.0)
    {
        return;
    }
    if thinking_type(req).as_deref() == Some("enabled") || effort_of(req).is_some() {
        req.remove("temperature");
    }
}

/// A `system` value as content blocks (`as_system_content_blocks`).
pub(crate) fn system_blocks<'b>(v: &'b [u8], out: &mut Vec<Cow<'b, [u8]>>) {
    if v == b"null" {
        return;
    }
    match elements(v) {
        Some(items) => out.extend(items.into_iter().map(Cow::Borrowed)),
        None if v.first() == Some(&b'"') => {
            let mut block = b"{\"type\":\"text\",\"text\":".to_vec();
            block.extend_from_slice(v);
            block.push(b'}');
            out.push(Cow::Owned(block));
        }
        None => out.push(Cow::Borrowed(v)),
    }
}

pub(crate) fn is_system_turn(message: &[u8]) -> bool {
    is_object(message) && get(message, "role") == Some(b"\"system\"")
}

pub(crate) fn array(items: &[Cow<'_, [u8]>]) -> Vec<u8> {
    let mut v = Vec::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    v.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            v.push(b',');
        }
        v.extend_from_slice(item);
    }
    v.push(b']');
    v
}

/// `_normalize_system_role_messages`: a leading run of system turns is hoisted into `system`;
/// later ones stay where the model takes them, else become user turns headed by an operator
/// note, placed after the tool results that follow them; billing-header blocks leave `system`.
pub(crate) fn normalize_system_turns(req: &mut Obj<'_>, caps: &ClaudeCaps) -> Result<()> {
    let Some(messages) = req.get("messages").map(<[u8]>::to_vec) else {
        return Ok(());
    };
    let Some(list) = elements(&messages) else {
        return Ok(());
    };
    let leading = list
        .iter()
        .position(|m| !is_system_turn(m))
        .unwrap_or(list.len());
    let mut system: Vec<Cow<'_, [u8]>> = Vec::new();
    if let Some(s) = req.get("system") {
        system_blocks(s, &mut system);
    }
    for m in &list[..leading] {
        if let Some(c) = get(m, "content") {
            system_blocks(c, &mut system);
        }
    }
    let rest = &list[leading..];
    let remaining: Vec<Cow<'_, [u8]>> = if caps.mid_conversation_system {
        rest.iter().map(|m| Cow::Borrowed(*m)).collect()
    } else {
        convert_mid_conversation_system(rest)
    };
    let changed = leading > 0 || remaining.iter().zip(rest).any(|(a, b)| a.as_ref() != *b);
    system.retain(|block| !is_billing_header(block));
    let system = (!system.is_empty()).then(|| array(&system));
    let remaining = changed.then(|| array(&remaining));
    match system {
        Some(s) => req.set("system", Cow::Owned(s)),
        None => {
            req.remove("system");
        }
    }
    if let Some(m) = remaining {
        req.set("messages", Cow::Owned(m));
    }
    Ok(())
}

pub(crate) fn is_billing_header(block: &[u8]) -> bool {
    is_object(block)
        && get(block, "type") == Some(b"\"text\"")
        && get(block, "text")
            .and_then(string)
            .is_some_and(|t| t.starts_with("x-anthropic-billing-header:"))
}

/// `convert_mid_conversation_system_turns`: each run of system turns moves after a following
/// user turn that opens with tool results, and each becomes a user turn.
pub(crate) fn convert_mid_conversation_system<'b>(messages: &[&'b [u8]]) -> Vec<Cow<'b, [u8]>> {
    let mut out: Vec<Cow<'b, [u8]>> = Vec::with_capacity(messages.len());
    let mut i = 0;
    while i < messages.len() {
        if !is_system_turn(messages[i]) {
            out.push(Cow::Borrowed(messages[i]));
            i += 1;
            continue;
        }
        let run_end = messages[i..]
            .iter()
            .position(|m| !is_system_turn(m))
            .map_or(messages.len(), |n| i + n);
        if let Some(next) = messages.get(run_end).filter(|m| opens_with_tool_results(m)) {
            out.push(Cow::Borrowed(*next));
            out.extend(messages[i..run_end].iter().map(|m| system_as_user(m)));
            i = run_end + 1;
        } else {
            out.extend(messages[i..run_end].iter().map(|m| system_as_user(m)));
            i = run_end;
        }
    }
    out
}

pub(crate) fn opens_with_tool_results(message: &[u8]) -> bool {
    is_object(message)
        && get(message, "role") == Some(b"\"user\"")
        && get(message, "content")
            .and_then(elements)
            .and_then(|c| c.first().copied())
            .is_some_and(|first| is_object(first) && get(first, "type") == Some(b"\"tool_result\""))
}

pub(crate) fn system_as_user(message: &[u8]) -> Cow<'static, [u8]> {
    let mut blocks: Vec<Cow<'_, [u8]>> = Vec::new();
    let note = owned(CONVERTED_SYSTEM_NOTE);
    let mut first = b"{\"type\":\"text\",\"text\":".to_vec();
    first.extend_from_slice(&note);
    first.push(b'}');
    blocks.push(Cow::Owned(first));
    if let Some(c) = get(message, "content") {
        system_blocks(c, &mut blocks);
    }
    let mut v = b"{\"role\":\"user\",\"content\":".to_vec();
    v.extend_from_slice(&array(&blocks));
    v.push(b'}');
    Cow::Owned(v)
}

/// Removes `scope` from every `cache_control` of tools, system blocks and message blocks, and
/// `ttl` too unless the model takes it (`"5m"`, `"1h"`).
pub(crate) fn sanitize_cache_control(req: &mut Obj<'_>, ttl_ok: bool) {
    let fix = |block: &[u8]| -> Option<Vec<u8>> {
        if !is_object(block) {
            return None;
        }
        let cc = get(block, "cache_control").filter(|v| is_object(v))?;
        let mut cc_obj = Obj::read(cc);
        let mut changed = cc_obj.remove("scope").is_some();
        if let Some(ttl) = cc_obj
            .str("ttl")
            .or_else(|| cc_obj.get("ttl").map(|_| String::new()))
        {
            if !(ttl_ok && (ttl == "5m" || ttl == "1h")) {
                cc_obj.remove("ttl");
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        let mut b = Obj::read(block);
        b.set("cache_control", cc_obj.bytes());
        let mut v = Vec::new();
        b.write(&mut v);
        Some(v)
    };
    let fix_list = |list: &[u8]| -> Option<Vec<u8>> {
        let items = elements(list)?;
        let fixed: Vec<Option<Vec<u8>>> = items.iter().map(|b| fix(b)).collect();
        if fixed.iter().all(Option::is_none) {
            return None;
        }
        let items: Vec<Cow<'_, [u8]>> = items
            .iter()
            .zip(fixed)
            .map(|(b, f)| f.map_or(Cow::Borrowed(*b), Cow::Owned))
            .collect();
        Some(array(&items))
    };
    for key in ["tools", "system"] {
        if let Some(v) = req.get(key).and_then(fix_list) {
            req.set(key, Cow::Owned(v));
        }
    }
    let Some(messages) = req.get("messages").and_then(elements) else {
        return;
    };
    let fixed: Vec<Option<Vec<u8>>> = messages
        .iter()
        .map(|m| {
            let content = get(m, "content")?;
            let content = fix_list(content)?;
            let mut o = Obj::read(m);
            o.set("content", Cow::Owned(content));
            let mut v = Vec::new();
            o.write(&mut v);
            Some(v)
        })
        .collect();
    if fixed.iter().all(Option::is_none) {
        return;
    }
    let items: Vec<Cow<'_, [u8]>> = messages
        .iter()
        .zip(fixed)
        .map(|(m, f)| f.map_or(Cow::Borrowed(*m), Cow::Owned))
        .collect();
    let v = array(&items);
    req.set("messages", Cow::Owned(v));
}
