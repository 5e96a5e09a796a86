#!/usr/bin/env bash
# The official openai Python SDK against the real gateway and mock provider (tests/sdk).
#
#   pip install -r tests/sdk/requirements.txt
#   scripts/sdk-tests.sh [pytest args...]
#
# Builds `corelane` and `corelane-mock` (a no-op when up to date) into $CARGO_TARGET_DIR
# (default target/), unless CORELANE_BIN_DIR names prebuilt binaries. Exits with pytest's code.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${CORELANE_BIN_DIR:-}" ]]; then
    cargo build -p corelane -p corelane-harness --bins
    export CORELANE_BIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/debug"
fi

if ! python3 -c 'import openai, pytest' 2>/dev/null; then
    echo "sdk-tests: missing Python packages; run: pip install -r tests/sdk/requirements.txt" >&2
    exit 2
fi

set +e
python3 -m pytest tests/sdk -q "$@"
code=$?
set -e
exit "$code"
