//! corelane's test and benchmark harness: the mock LLM provider `corelane-mock`, the load
//! generator `corelane-load` and the end-to-end suite `corelane-bench`.
//!
//! The mock stands in for OpenAI- and Anthropic-compatible providers in the gateway's
//! integration tests and load runs. It is its own monoio thread-per-core HTTP/1.1 server
//! (httparse, not the gateway's `http1` crate: a test peer must not share the code under
//! test), deterministic byte for byte, keep-alive, and cheap enough never to be the
//! bottleneck of a load run.
//!
//! # Starting it
//!
//! ```text
//! corelane-mock --host 127.0.0.1 --port 0 --threads 1 [--cpus 0,1] [--latency-ms 0]
//!               [--stream-chunks 10] [--chunk-delay-ms 0] [--embed-dims 1536] [--legacy-driver]
//! ```
//!
//! The first stdout line is exactly `listening on 127.0.0.1:<port>`; with `--port 0` that is
//! the ephemeral port chosen. Threads share the port through SO_REUSEPORT. The runtime is
//! io_uring, falling back to epoll (`--legacy-driver` or `MONOIO_FORCE_LEGACY_DRIVER=1`
//! force epoll); stderr says which. SIGTERM and SIGINT exit with status 0.
//!
//! # Routes
//!
//! Routing looks at the path's end, so any api_base prefix works (`/v1`,
//! `/openai/deployments/x`, nothing). The query string is ignored.
//!
//! | path ends with      | method | reply |
//! |---------------------|--------|-------|
//! | `/chat/completions` | POST   | `chat.completion`; with `"stream": true` an SSE stream of `chat.completion.chunk` |
//! | `/completions`      | POST   | `text_completion`, streaming likewise |
//! | `/embeddings`       | POST   | embedding `list` |
//! | `/messages`         | POST   | Anthropic `message`; with `"stream": true` the named-event stream |
//! | `/models`           | GET    | OpenAI model list (fixed) |
//! | anything else       |        | 404, OpenAI error JSON |
//!
//! Request bodies may be framed by Content-Length or chunked; `Expect: 100-continue` is
//! honoured. A missing `model` or invalid JSON gets 400; a wrong method 405.
//!
//! Fixed values: the `model` of every body and chunk echoes the request's `model` (the
//! gateway must replace it). Content is `"Hello from the mock provider."`; streams send
//! `--stream-chunks` content chunks cycling through its words `Hello`, ` from`, ` the`,
//! ` mock`, ` provider`, `.`. Usage: `prompt_tokens` 10 (10 per input for embeddings),
//! `completion_tokens` 6 non-stream or the chunk count when streaming. `created` is
//! 1700000000; ids are `chatcmpl-mock`, `cmpl-mock`, `msg_mock`.
//!
//! Streams use `Transfer-Encoding: chunked`, one HTTP chunk per event, written as produced
//! with `--chunk-delay-ms` between events. OpenAI streams: content chunks (the first carries
//! `"role":"assistant"`), a chunk with `finish_reason: "stop"`, then, only if the request
//! set `stream_options.include_usage`, a usage chunk with `"choices": []` (and, as OpenAI
//! does, `"usage": null` on every other chunk), then `data: [DONE]`. Anthropic streams:
//! `message_start`, `content_block_start`, `ping`, one `content_block_delta` per chunk,
//! `content_block_stop`, `message_delta` (stop_reason `end_turn`), `message_stop`.
//!
//! Embeddings: batch is the length of `input` when it is an array of strings or of token
//! arrays, else 1; dims are `dimensions` or `--embed-dims` (at most 65,536). Value
//! `(row, col)` is `±((row*7919 + col*104729) % 1e6) / 1e6`, negative when `row + col` is odd,
//! printed as `0.dddddd`; `encoding_format: "base64"` sends little-endian f32 in base64.
//! Bodies are written progressively in 64 KiB pieces with a precomputed Content-Length.
//!
//! # Fault prefixes
//!
//! Put before the route (tests put them in api_base); they compose in any order, e.g.
//! `/close/status/429/v1/chat/completions`. A bad argument gets 400.
//!
//! | prefix              | effect |
//! |---------------------|--------|
//! | `/status/{400-599}` | that status with an error body `{"error":{"message":"mock error <code>","type","param":null,"code"}}`; on `/messages` Anthropic's shape `{"type":"error","error":{"type","message":"mock error <code>"}}` |
//! | `/delay/{ms}`       | wait before the response head (adds to `--latency-ms`) |
//! | `/reset`            | read the request, then close without any response |
//! | `/truncate`         | streams: half the content events then close (no last chunk, no `[DONE]`); other bodies: half the bytes then close |
//! | `/slowstream/{ms}`  | inter-event delay for this request's stream |
//! | `/chunked`          | non-stream bodies framed with Transfer-Encoding: chunked |
//! | `/nousage`          | no usage in bodies or streams |
//! | `/close`            | `Connection: close` and close after the response |
//! | `/flaky/{0-100}`    | the other faults of the prefix apply to that share of requests only, alone a `/status/500`: request n of a share fails when `floor(n * share / 100)` grows (50: every second request, the first succeeding), counted per share and server thread, restarted by `POST /__mock/reset`. Two deployments of one group on one mock: `api_base: http://127.0.0.1:PORT/flaky/50/v1` and `http://127.0.0.1:PORT/v1` |
//!
//! # Introspection (exact paths, per server thread: use `--threads 1` in tests)
//!
//! - `GET /__mock/requests`: JSON array of the last 100 provider requests, oldest first:
//!   `[{"method", "path" (as sent, with prefixes and query), "headers": {lowercased name:
//!   value}, "body": lossy UTF-8 string}]`.
//! - `GET /__mock/stats`: `{"requests": n, "connections": n}` — requests excludes these
//!   endpoints; connections counts every accepted connection.
//! - `POST /__mock/reset`: clears both and restarts the `/flaky` cycles; answers
//!   `{"reset":true}`.
//!
//! # Layout
//!
//! - [`mock::options`]: command-line options ([`MockOptions`]).
//! - [`mock::server`]: threads, runtimes, listeners, the accept loop ([`run`]).
//! - [`mock::conn`]: one keep-alive connection: read, plan, write.
//! - [`mock::head`]: request heads (httparse) and body framing rules.
//! - [`mock::chunked`]: incremental chunked request-body decoder.
//! - [`mock::api_request`]: the typed request-body fields the mock reads.
//! - [`mock::fault`]: fault-injection path prefixes.
//! - [`mock::route`]: route and introspection matching; the reply plan.
//! - [`mock::openai`], [`mock::anthropic`], [`mock::embeddings`]: the wire bodies and streams.
//! - [`mock::errors`]: error bodies and reason phrases.
//! - [`mock::record`]: the per-thread request record behind `/__mock/*`.
//! - [`load`]: the load generator (closed loop or fixed rate, keep-alive, hdrhistogram).
//!   - [`load::target`]: the request repeated; [`load::conn`]: one connection's loop;
//!     [`load::response`]: sans-I/O response reader (framing, SSE events);
//!     [`load::stats`]: counts, histograms and the [`load::LoadReport`].
//! - [`suite`]: the end-to-end run behind `corelane-bench` (and `harness/run.sh`).
//!   - [`suite::scenarios`]: what is sent; [`suite::targets`]: corelane, nginx, LiteLLM, direct;
//!     [`suite::procs`]: pinned child processes; [`suite::procfs`] and [`suite::watch`]: CPU and
//!     memory of the process under test; [`suite::machine`]: the machine stamp;
//!     [`suite::report`]: results.json, the table and its ratios.
//!
//! # Load generator and suite
//!
//! `corelane-load http://127.0.0.1:PORT/v1/chat/completions -c 50 -d 10 --body chat.json`
//! runs one load (add `--rate N` for an open loop, `-H 'Name: value'`, `--json`). Errors and
//! non-2xx responses are counted and printed, and make it exit 2.
//!
//! `harness/run.sh [--quick]` builds in release mode and runs `corelane-bench`: every scenario
//! (`chat-c1`, `chat-c50`, `chat-c50-flaky`, `chat-c50-flaky-nocooldown`, `stream-c50`,
//! `anthropic-stream-c50`, `messages-c50`, `embed-batch-64`, `embed-batch-256`; `keys` is
//! skipped until the gateway has virtual keys) against every target available here that can
//! run it, each started fresh per scenario on the target CPU (default 1) while the generator
//! and the mock share the other (default 0). It prints the summary table and writes
//! `harness/runs/<date>-<hostname>/results.json` and `results.md`.
//!
//! The two `chat-c50-flaky` scenarios run corelane only, with chat-c50's config plus a second
//! deployment in the chat group whose api_base has `/flaky/50`: it answers every second
//! request it gets with a 500. Clients must see none of them (issue 9). `chat-c50-flaky` keeps
//! LiteLLM's default cooldowns, which soon take the flaky deployment out for 5 s at a time;
//! `chat-c50-flaky-nocooldown` sets `disable_cooldowns: true`, so about one request in four
//! meets a failure and is retried: the retry path's steady cost. Each reports the
//! client-visible error rate (`load.error_rate`: non-2xx and unanswered over all requests of
//! the window), the upstream attempts per response (`mock_requests` over
//! `load.completed_total`, warm-up included: retries show above 1), and CPU per request and
//! throughput against chat-c50 of the same run. A non-2xx fails `--check` and `--quick`, as in
//! any scenario. `corelane-bench --scenarios chat-c50,chat-c50-flaky,chat-c50-flaky-nocooldown
//! --skip corelane-epoll` runs just those.

pub mod load;
pub mod mock;
pub mod suite;

pub use mock::options::MockOptions;
pub use mock::server::run;
