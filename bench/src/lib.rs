//! corelane-bench: criterion micro-benchmarks of the gateway's per-request CPU work (HTTP/1.1
//! framing, request splicing, response and stream rewriting, token counting, model routing),
//! and the realistic inputs they run on, built here so every bench measures the same bytes.
//!
//! The benches live in `benches/` (one file per area: `http1`, `splice`, `rewrite`, `tokens`,
//! `router`); `cargo test --benches -p corelane-bench` runs each once to keep them compiling,
//! `cargo bench -p corelane-bench` measures. Results and the machine they came from are in
//! `README.md`.
//!
//! # Layout
//!
//! - [`heads`]: HTTP/1.1 request and response heads as an OpenAI SDK and OpenAI's edge send
//!   them, and chunked bodies.
//! - [`requests`]: chat completion request bodies, from a short conversation to a long pasted
//!   document.
//! - [`responses`]: provider responses: a chat completion, an embeddings list, stream chunks and
//!   a whole SSE stream.
//! - [`data`]: inputs kept as files under `bench/data/` (English prose, a router config).
//! - [`routes`]: [`routes::RouteTable`], a group lookup shaped like the server's, over that config.
//!
//! Every builder is deterministic: the same call returns the same bytes on every run, so
//! numbers from two runs compare the same work.

#![forbid(unsafe_code)]

pub mod data;
pub mod heads;
pub mod requests;
pub mod responses;
pub mod routes;
