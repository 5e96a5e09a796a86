#!/usr/bin/env bash
# The one command behind the README's performance table: builds corelane and the harness in
# release mode, then runs every scenario against corelane, nginx, LiteLLM and the bare mock.
#   harness/run.sh            full run (~6 min; LiteLLM via harness/litellm/setup.sh if installed)
#   harness/run.sh --quick    CI smoke test (~1 min after the build; no LiteLLM)
# Extra arguments go to corelane-bench (see `corelane-bench --help`).
# CARGO_TARGET_DIR is honoured; results go to harness/runs/<date>-<hostname>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"
cargo build --release -p corelane -p corelane-harness
exec "$target/release/corelane-bench" \
    --corelane "$target/release/corelane" \
    --mock "$target/release/corelane-mock" \
    --harness-dir "$root/harness" \
    "$@"
