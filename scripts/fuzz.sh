#!/usr/bin/env bash
# Runs every fuzz target of http1/ and transforms/ for SECONDS each (default 600), one after
# the other, and prints each target's executions and crashes. Not part of CI (it needs
# cargo-fuzz: `cargo install cargo-fuzz`). Targets start from their committed seed corpus,
# copied to a scratch directory so the repository's corpus does not grow.
#   bash scripts/fuzz.sh            10 minutes per target
#   bash scripts/fuzz.sh 60         1 minute per target
#   bash scripts/fuzz.sh 600 http1  only the http1 targets
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
crates="${2:-http1 transforms}"
export RUSTC_BOOTSTRAP=1
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
for crate in $crates; do
    (cd "$crate/fuzz" && cargo fuzz build -s none >/dev/null)
    for target in $(cd "$crate/fuzz" && cargo fuzz list); do
        corpus="$scratch/$crate-$target"
        mkdir -p "$corpus"
        [ -d "$crate/fuzz/corpus/$target" ] && cp -r "$crate/fuzz/corpus/$target/." "$corpus/"
        log="$scratch/$crate-$target.log"
        if (cd "$crate/fuzz" && cargo fuzz run -s none "$target" "$corpus" -- \
            -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1); then
            result="no crash"
        else
            result="CRASH (artifacts in $crate/fuzz/artifacts/$target)"
            status=1
        fi
        runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
        echo "$crate/$target: $runs executions in ${seconds}s, $result"
    done
done
exit "$status"
