#!/usr/bin/env bash
# The differential suite against LiteLLM (diff.py): installs the LiteLLM proxy into
# harness/.venv-litellm when missing (harness/litellm/setup.sh, ~750 MB from PyPI), builds
# corelane, and compares both, case by case, in front of one scripted provider.
#   bash harness/differential/run.sh [LITELLM_VERSION]   (default 1.108.7, the version the
#   exceptions were written against)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash harness/litellm/setup.sh "${1:-1.108.7}"
cargo build --release -p corelane
target="${CARGO_TARGET_DIR:-$root/target}"
export CORELANE_BIN="${CORELANE_BIN:-$target/release/corelane}"
exec python3 harness/differential/diff.py
