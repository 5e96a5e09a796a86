//! Chat completion request bodies as clients send them (compact JSON, the SDKs' key order).

use corelane_transforms::write_json_string;

/// A support-bot conversation: system prompt, four exchanges and the new question.
const TURNS: &[(&str, &str)] = &[
    (
        "system",
        "You are Ledger, the billing assistant for Northwind Analytics. Answer in plain English, \
         cite the invoice line you rely on, and never guess amounts: when a figure is missing, \
         say which document would contain it. Keep answers under 150 words unless asked for \
         detail. Refuse to change payment details; point the user to the \"Billing settings\" page.",
    ),
    (
        "user",
        "Hi! Our March invoice went up by about 40% compared to February. Can you tell me why?",
    ),
    (
        "assistant",
        "Of course. Comparing invoice INV-2025-0311 with INV-2025-0214, three lines changed: \
         seats rose from 24 to 31 (line 2), the Data Retention add-on was enabled on 9 March \
         (line 5, prorated), and API overage appeared for the first time (line 7: 1.2M calls \
         above the included 5M). Seats explain roughly half of the increase.",
    ),
    (
        "user",
        "The overage surprises me. Which project made those calls, and when did it start?",
    ),
    (
        "assistant",
        "The usage report attached to the invoice attributes 1.1M of the extra calls to the \
         project \"forecast-nightly\", starting 18 March, about 70k calls a day. The remaining \
         0.1M are spread across four projects. I cannot see why the job changed; the project's \
         owner or its deployment history would show that.",
    ),
    (
        "user",
        "Is there any way to get some of that overage credited? Nobody approved the change to the job.",
    ),
    (
        "assistant",
        "Credits are decided by the account team, not by me. Your contract (section 4.2) allows a \
         one-time review of unplanned overage reported within 30 days of the invoice date, which \
         for INV-2025-0311 is 10 April. I can draft the request with the usage figures above if \
         you would like to send it.",
    ),
    (
        "user",
        "Thanks. If we cap forecast-nightly at 20k calls per day from now on, roughly what would \
         April cost, assuming the same seats and add-ons? Please show the arithmetic.",
    ),
];

/// A chat completion body for `model`. `document_bytes` > 0 appends a user message pasting a
/// source file of about that size (newlines and quotes escaped, as real pasted code is);
/// `stream` adds `"stream": true` the way the SDKs place it. With no document the body is
/// about 2 KB.
pub fn chat_body(model: &str, document_bytes: usize, stream: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(2400 + document_bytes + document_bytes / 8);
    out.extend_from_slice(b"{\"messages\":[");
    for (i, (role, content)) in TURNS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        message(role, content, &mut out);
    }
    if document_bytes > 0 {
        out.push(b',');
        message("user", &document(document_bytes), &mut out);
    }
    out.extend_from_slice(b"],\"model\":");
    write_json_string(model, &mut out);
    out.extend_from_slice(b",\"max_tokens\":400,\"temperature\":0.2");
    if stream {
        out.extend_from_slice(b",\"stream\":true");
    }
    out.extend_from_slice(b",\"user\":\"acct-20931\"}");
    out
}

fn message(role: &str, content: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"role\":");
    write_json_string(role, out);
    out.extend_from_slice(b",\"content\":");
    write_json_string(content, out);
    out.push(b'}');
}

/// "Review this file" followed by about `bytes` of Python, each line a little different.
fn document(bytes: usize) -> String {
    let mut doc = String::with_capacity(bytes + 128);
    doc.push_str("Please review this module for bugs and explain any you find:\n\n```python\n");
    let mut i = 0u64;
    while doc.len() < bytes {
        let line = match i % 6 {
            0 => format!("def invoice_total_{i}(lines, tax_rate=0.19):\n"),
            1 => "    \"\"\"Sum the net amounts and add tax; amounts are in cents.\"\"\"\n".to_owned(),
            2 => format!("    net = sum(l[\"qty\"] * l[\"unit_cents\"] for l in lines if l[\"sku\"] != \"X-{i}\")\n"),
            3 => "    if net < 0:\n        raise ValueError(f\"negative total: {net}\")\n".to_owned(),
            4 => format!("    return round(net * (1 + tax_rate)) + {}\t# rounding fee\n", i % 97),
            _ => "\n".to_owned(),
        };
        doc.push_str(&line);
        i += 1;
    }
    doc.push_str("```");
    doc
}

/// An Anthropic Messages body shaped like Claude Code's after `turns` tool round trips: system
/// blocks with `cache_control`, 24 tools with schemas, and per turn a user text, an assistant
/// text plus `tool_use`, and a `tool_result` of ten lines of code (about 1 KB a turn).
pub fn claude_code_messages(model: &str, turns: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024 + turns * 1200);
    out.extend_from_slice(b"{\"model\":");
    write_json_string(model, &mut out);
    out.extend_from_slice(b",\"max_tokens\":32000,\"stream\":true,\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, an interactive CLI tool.\"},{\"type\":\"text\",\"text\":");
    write_json_string(
        &"Follow the repository's conventions. ".repeat(40),
        &mut out,
    );
    out.extend_from_slice(b",\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[");
    for i in 0..turns {
        if i > 0 {
            out.push(b',');
        }
        let code =
            "    let total = items.iter().map(|x| x.price * x.qty).sum::<u64>();\\n".repeat(10);
        out.extend_from_slice(format!(
            "{{\"role\":\"user\",\"content\":[{{\"type\":\"text\",\"text\":\"Look at src/file{i}.rs and explain what the \\\"total\\\" computation does.\"}}]}},\
             {{\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"Let me read it.\"}},{{\"type\":\"tool_use\",\"id\":\"toolu_{i:024}\",\"name\":\"Read\",\"input\":{{\"file_path\":\"/repo/src/file{i}.rs\",\"limit\":200}}}}]}},\
             {{\"role\":\"user\",\"content\":[{{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_{i:024}\",\"content\":[{{\"type\":\"text\",\"text\":\"{code}\"}}]}}]}}"
        ).as_bytes());
    }
    out.extend_from_slice(b"],\"tools\":[");
    for t in 0..24 {
        if t > 0 {
            out.push(b',');
        }
        out.extend_from_slice(format!(
            "{{\"name\":\"Tool{t}\",\"description\":\"{}\",\"input_schema\":{{\"type\":\"object\",\"properties\":{{\"path\":{{\"type\":\"string\",\"description\":\"Absolute path\"}},\"limit\":{{\"type\":\"integer\"}}}},\"required\":[\"path\"]}}}}",
            "Reads a file from the local filesystem. ".repeat(8)
        ).as_bytes());
    }
    out.extend_from_slice(b"],\"metadata\":{\"user_id\":\"{\\\"session_id\\\":\\\"abc\\\"}\"}}");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use corelane_transforms::inspect;

    #[test]
    fn short_body_is_about_2kb_and_valid() {
        let body = chat_body("gpt-4o-mini", 0, false);
        assert!((1900..=2300).contains(&body.len()), "{}", body.len());
        let fields = inspect(&body, &mut corelane_transforms::json::tape::Scratch::new()).unwrap();
        assert_eq!(fields.model.as_deref(), Some("gpt-4o-mini"));
        assert!(!fields.stream);
    }

    #[test]
    fn long_body_is_about_200kb_and_valid() {
        let body = chat_body("gpt-4o-mini", 195_000, true);
        assert!((195_000..=215_000).contains(&body.len()), "{}", body.len());
        let fields = inspect(&body, &mut corelane_transforms::json::tape::Scratch::new()).unwrap();
        assert!(fields.stream);
        assert_eq!(fields.include_usage, None);
    }

    #[test]
    fn claude_code_body_is_valid_and_translates() {
        let body = claude_code_messages("gpt-4o", 30);
        let fields = inspect(&body, &mut corelane_transforms::json::tape::Scratch::new()).unwrap();
        assert_eq!(fields.model.as_deref(), Some("gpt-4o"));
        let mut out = Vec::new();
        corelane_transforms::messages::to_chat_request(&body, "gpt-4o", &mut out).unwrap();
        let fields = inspect(&out, &mut corelane_transforms::json::tape::Scratch::new()).unwrap();
        assert!(fields.stream);
    }
}
