#!/usr/bin/env python3
"""Writes transforms/src/cost/prices.tsv, corelane's bundled price table, from the cost map of
the LiteLLM the harness installs (harness/litellm/setup.sh), and beside it
transforms/src/openai_chat_models.txt: the map's `openai` models, fine-tunes aside (LiteLLM's
`open_ai_chat_completion_models`, whose text completions it sends as chat completions), and
transforms/src/openai_none_effort.txt: its `openai` models with a `none` reasoning effort, and
transforms/src/reasoning_models.txt: its models that reason, as provider/model, and
transforms/src/context_windows.txt: its models' max_input_tokens.
The prices: every model with a per-token input or output price, sorted by key, one
tab-separated line a model:

    key, input, output, cache read, cache creation, cache creation for an hour, reasoning,
    tier threshold (prompt tokens), and above it: input, output, cache read, cache creation

A missing input or output price is 0.0; the other columns are empty when the map has no such
key (LiteLLM then bills those tokens at the input or output rate), and empty columns at the end
of a line are left out. The tier is the map's `*_above_<N>k_tokens` keys (one threshold a model).

    python3 scripts/litellm-prices.py [path/to/model_prices_and_context_window_backup.json]
"""
import glob
import json
import os
import re
import sys

# LiteLLM's threshold keys (`_get_token_base_cost`): a rate above a prompt size.
TIER_RATES = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
              "cache_creation_input_token_cost")
TIER = re.compile(rf"^({'|'.join(TIER_RATES)})_above_(\d+k?)_tokens$")
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
    rates = [entry.get(k) for k in ("cache_read_input_token_cost", "cache_creation_input_token_cost",
                                     "cache_creation_input_token_cost_above_1hr",
                                     "output_cost_per_reasoning_token")]
    tiers = {}
    for k, v in entry.items():
        m = TIER.match(k)
        if m and isinstance(v, (int, float)):
            tiers.setdefault(m.group(2), {})[m.group(1)] = v
    if len(tiers) > 1:
        sys.exit(f"{key}: more than one price tier ({sorted(tiers)}); the table holds one")
    tier = []
    for threshold, above in tiers.items():
        n = int(float(threshold.rstrip("k")) * (1000 if threshold.endswith("k") else 1))
        tier = [str(n)] + [above.get(k) for k in TIER_RATES]
    if not all(p is None or isinstance(p, (int, float)) for p in rates):
        continue
    row = [key, *(repr(float(p or 0)) for p in prices)]
    row += ["" if p is None else repr(float(p)) for p in rates]
    row += [tier[0]] + ["" if p is None else repr(float(p)) for p in tier[1:]] if tier else []
    while row[-1] == "":
        row.pop()
    rows.append(tuple(row))
rows.sort(key=lambda r: r[0].encode())
out = os.path.join(root, "transforms/src/cost/prices.tsv")
with open(out, "w") as f:
    f.write(f"# LiteLLM {version}'s per-token prices (model_prices_and_context_window_backup.json), "
            "written by scripts/litellm-prices.py: key, input, output, cache read, cache creation, "
            "cache creation 1h, reasoning, tier threshold, tier input, tier output, tier cache read, "
            "tier cache creation (USD per token; empty: none)\n")
    for row in rows:
        f.write("\t".join(row) + "\n")
print(f"{len(rows)} prices from LiteLLM {version} -> {out}")


def write_list(name: str, about: str, lines: list[str]) -> None:
    """transforms/src/<name>: a comment line saying what it is, then one line an entry."""
    out = os.path.join(root, "transforms/src", name)
    with open(out, "w") as f:
        f.write(f"# LiteLLM {version}'s {about}, written by scripts/litellm-prices.py\n")
        f.writelines(line + "\n" for line in lines)
    print(f"{len(lines)} lines ({about}) -> {out}")


def openai_models(wanted) -> list[str]:
    return sorted((key for key, entry in table.items()
                   if isinstance(entry, dict) and entry.get("litellm_provider") == "openai"
                   and "\n" not in key and wanted(key, entry)), key=str.encode)


write_list("openai_chat_models.txt", "open_ai_chat_completion_models",
           openai_models(lambda key, entry: not key.startswith("ft:")))

# The OpenAI models with a `none` reasoning effort (LiteLLM's GPT-5 sampling rules): the name,
# and `default` where the map declares `none` as the model's default effort.
write_list("openai_none_effort.txt",
           "OpenAI models with supports_none_reasoning_effort (`default`: default_reasoning_effort none)",
           [key + ("\tdefault" if table[key].get("default_reasoning_effort") == "none" else "")
            for key in openai_models(lambda key, entry: entry.get("supports_none_reasoning_effort") is True)])

# The models the map says reason (`supports_reasoning`), as `provider/model` (LiteLLM's
# `supports_reasoning(model, provider)`): DeepSeek's thinking turns read it.
write_list("reasoning_models.txt", "models with supports_reasoning, as provider/model",
           sorted({key if key.startswith(entry["litellm_provider"] + "/") else f"{entry['litellm_provider']}/{key}"
                   for key, entry in table.items()
                   if isinstance(entry, dict) and entry.get("supports_reasoning") is True
                   and isinstance(entry.get("litellm_provider"), str) and "\n" not in key}, key=str.encode))

# The models' context windows (`max_input_tokens`, for the router's pre-call checks), by the
# map's key: `key<TAB>tokens`.
write_list("context_windows.txt", "max_input_tokens by cost map key",
           sorted((f"{key}\t{int(entry['max_input_tokens'])}" for key, entry in table.items()
                   if isinstance(entry, dict) and key != "sample_spec" and "\n" not in key
                   and "\t" not in key and isinstance(entry.get("max_input_tokens"), (int, float))
                   and entry["max_input_tokens"] > 0), key=str.encode))
