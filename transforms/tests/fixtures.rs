//! Golden fixtures under tests/fixtures/openai/<case>/: each folder's files say which
//! transform it exercises (client.json+upstream.json: splice; response.json: rewrite;
//! chunks.txt: stream; upstream_error.body: error mapping). A new folder needs no code edit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture_dirs;

use corelane_transforms::json::tape::Scratch;
use std::fs;
use std::path::Path;

use corelane_transforms::{
    error, inspect, parse_usage, rewrite_chunk, rewrite_complete, splice, Usage,
};

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

fn usage_arg(s: &str) -> Option<Usage> {
    if s == "none" {
        return None;
    }
    let n: Vec<u64> = s.split(',').map(|x| x.parse().unwrap()).collect();
    Some(Usage::counts(n[0], n[1], n[2]))
}

#[test]
fn every_fixture_folder_matches() {
    let mut ran = 0;
    for dir in fixture_dirs::cases("openai") {
        let a = fixture_dirs::args(&dir);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if dir.join("upstream.json").exists() {
            let client = read(&dir, "client.json");
            let fields =
                inspect(&client, &mut Scratch::new()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let mut out = Vec::new();
            splice(
                &client,
                &fields,
                &a["model"],
                a["force_include_usage"] == "true",
                &mut out,
            );
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&read(&dir, "upstream.json")),
                "{name}"
            );
            serde_json::from_slice::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("{name}: upstream not JSON: {e}"));
        } else if dir.join("response.json").exists() {
            let mut out = Vec::new();
            let usage = rewrite_complete(&read(&dir, "response.json"), &a["model"], &mut out);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&read(&dir, "client.json")),
                "{name}"
            );
            assert_eq!(usage, usage_arg(&a["usage"]), "{name}");
        } else if dir.join("chunks.txt").exists() {
            check_stream(&dir, &a["model"], &name);
        } else if dir.join("upstream_error.body").exists() {
            let mut out = Vec::new();
            let status = error::write_upstream_error(
                &a["provider"],
                a["status"].parse().unwrap(),
                &read(&dir, "upstream_error.body"),
                &mut out,
            );
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&read(&dir, "expected.json")),
                "{name}"
            );
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["error"]["code"], status.to_string(), "{name}");
        } else {
            panic!("{name}: no known fixture files");
        }
        ran += 1;
    }
    assert!(ran >= 17, "fixtures went missing: {ran}");
}

fn check_stream(dir: &Path, model: &str, name: &str) {
    let input = String::from_utf8(read(dir, "chunks.txt")).unwrap();
    let expected = String::from_utf8(read(dir, "expected.txt")).unwrap();
    let flags = String::from_utf8(read(dir, "flags.txt")).unwrap();
    let bump = bumpalo::Bump::new();
    for ((chunk, want), flag) in input.lines().zip(expected.lines()).zip(flags.lines()) {
        let o = rewrite_chunk(chunk.as_bytes(), model, &bump);
        assert_eq!(String::from_utf8_lossy(o.data), want, "{name}");
        match flag.split_once(' ') {
            Some(("usage_only", u)) => {
                assert!(o.usage_only, "{name}: {chunk}");
                assert_eq!(o.usage, usage_arg(u));
            }
            _ if flag == "error" => assert!(o.is_error, "{name}: {chunk}"),
            _ => assert!(
                !o.usage_only && !o.is_error && o.usage.is_none(),
                "{name}: {chunk}"
            ),
        }
    }
    assert_eq!(input.lines().count(), expected.lines().count());
}

/// Every split of every rewrite fixture (and every two-way split of concatenated pieces)
/// produces the one-shot output.
#[test]
fn rewrite_is_split_invariant() {
    for dir in fixture_dirs::cases("openai")
        .into_iter()
        .filter(|d| d.join("response.json").exists())
    {
        let body = read(&dir, "response.json");
        let model = fixture_dirs::args(&dir)["model"].clone();
        let mut whole = Vec::new();
        let usage = rewrite_complete(&body, &model, &mut whole);
        for cut in 0..=body.len() {
            let mut r = corelane_transforms::ModelRewriter::new(&model);
            let mut out = Vec::new();
            r.feed(&body[..cut], &mut out);
            r.feed(&body[cut..], &mut out);
            r.finish(&mut out);
            assert_eq!(out, whole, "{} split at {cut}", dir.display());
            assert_eq!(r.usage(), usage);
        }
        // Byte-at-a-time feeding.
        let mut r = corelane_transforms::ModelRewriter::new(&model);
        let mut out = Vec::new();
        for b in body.chunks(1) {
            r.feed(b, &mut out);
        }
        r.finish(&mut out);
        assert_eq!(out, whole);
        assert_eq!(r.usage(), usage);
        assert_eq!(parse_usage(b"{}"), None);
    }
}

/// A 5 MB embeddings-like body streams through in 16 KiB pieces: output equals input except
/// the model, and the rewriter's own buffers stay small (bounded memory).
#[test]
fn five_megabyte_body_streams_with_bounded_state() {
    let mut body = Vec::from(&b"{\"object\":\"list\",\"data\":["[..]);
    let mut i = 0;
    while body.len() < 5 * 1024 * 1024 {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(
            format!("{{\"object\":\"embedding\",\"index\":{i},\"embedding\":[").as_bytes(),
        );
        for d in 0..64 {
            body.extend_from_slice(if d == 0 {
                b"0.0123456".as_slice()
            } else {
                b",-0.0123456"
            });
        }
        body.extend_from_slice(b"]}");
        i += 1;
    }
    body.extend_from_slice(b"],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":5000,\"total_tokens\":5000}}");
    let mut r = corelane_transforms::ModelRewriter::new("embed");
    let mut total_out = 0usize;
    let mut out = Vec::with_capacity(32 * 1024);
    let mut tail = Vec::new();
    for piece in body.chunks(16 * 1024) {
        out.clear();
        r.feed(piece, &mut out);
        assert!(
            out.len() <= piece.len() + 16,
            "output grows with the piece, not the body"
        );
        total_out += out.len();
        tail = out.clone();
    }
    out.clear();
    r.finish(&mut out);
    total_out += out.len();
    assert_eq!(
        total_out,
        body.len() - "text-embedding-3-small".len() + "embed".len()
    );
    assert!(String::from_utf8_lossy(&tail).contains("\"model\":\"embed\""));
    assert_eq!(r.usage().unwrap().prompt_tokens, 5000);
    let state = format!("{r:?}");
    assert!(
        state.len() < 4096,
        "rewriter state must not hold the body: {} bytes",
        state.len()
    );
}
