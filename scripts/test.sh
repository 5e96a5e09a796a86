#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (real binaries against the mock
# provider), then the official openai SDK against the real gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --workspace --bins
cargo test --workspace
bash scripts/sdk-tests.sh
