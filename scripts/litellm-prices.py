#!/usr/bin/env python3
"""Writes transforms/src/cost/prices.tsv, corelane's bundled price table, from the cost map of
the LiteLLM the harness installs (harness/litellm/setup.sh): every model with a per-token input
or output price, as `key<TAB>input<TAB>output`, sorted by key. A missing price is 0.0.

    python3 scripts/litellm-prices.py [path/to/model_prices_and_context_window_backup.json]
"""
import glob
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) > 1:
    source = sys.argv[1]
else:
    found = glob.glob(os.path.join(root, "harness/.venv-litellm/lib/python3*/site-packages/litellm/"
                                         "model_prices_and_context_window_backup.json"))
    if not found:
        sys.exit("LiteLLM is not installed (harness/litellm/setup.sh); pass the cost map's path")
    source = found[0]
version = "unknown"
for meta in glob.glob(os.path.join(os.path.dirname(os.path.dirname(source)), "litellm-*.dist-info/METADATA")):
    version = next((l.split(":", 1)[1].strip() for l in open(meta) if l.startswith("Version:")), version)
table = json.load(open(source))
rows = []
for key, entry in table.items():
    if not isinstance(entry, dict) or key == "sample_spec":
        continue
    prices = [entry.get("input_cost_per_token"), entry.get("output_cost_per_token")]
    if all(p is None for p in prices) or "\t" in key or "\n" in key:
        continue
    if not all(p is None or isinstance(p, (int, float)) for p in prices):
        continue
    rows.append((key, *(repr(float(p or 0)) for p in prices)))
rows.sort(key=lambda r: r[0].encode())
out = os.path.join(root, "transforms/src/cost/prices.tsv")
with open(out, "w") as f:
    f.write(f"# LiteLLM {version}'s per-token prices (model_prices_and_context_window_backup.json), "
            "written by scripts/litellm-prices.py: key, input, output (USD per token)\n")
    for row in rows:
        f.write("\t".join(row) + "\n")
print(f"{len(rows)} prices from LiteLLM {version} -> {out}")
