#!/usr/bin/env python3
"""Writes the two tables corelane's health checks (server/src/health_check/) read from the
LiteLLM the harness installs (harness/litellm/setup.sh), run with that LiteLLM's Python:

    LITELLM_LOCAL_MODEL_COST_MAP=True harness/.venv-litellm/bin/python scripts/litellm-health-check.py

- server/src/health_check/modes.tsv: the cost map's models whose `mode` is not `chat`, sorted by
  key: `key<TAB>mode`. A deployment without `model_info.mode` is checked in the mode the map
  gives its model (`resolve_health_check_mode` -> `litellm.get_model_info(model)["mode"]`),
  else as chat.
- server/src/health_check/wildcard_models.tsv: per provider, the (up to) three cheapest chat
  models LiteLLM probes a wildcard deployment with
  (`pick_cheapest_chat_models_from_llm_provider(provider, n=3)`), in LiteLLM's order:
  `provider<TAB>model<TAB>model...`.
"""
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
import litellm  # noqa: E402
from litellm.litellm_core_utils.llm_request_utils import (  # noqa: E402
    pick_cheapest_chat_models_from_llm_provider,
)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_dir = os.path.join(root, "server/src/health_check")
version = getattr(litellm, "version", None) or "unknown"
try:
    from importlib.metadata import version as dist_version

    version = dist_version("litellm")
except Exception:  # noqa: BLE001 - the header only names the version
    pass

modes = sorted(
    (key, entry["mode"])
    for key, entry in litellm.model_cost.items()
    if isinstance(entry, dict)
    and key != "sample_spec"
    and isinstance(entry.get("mode"), str)
    and entry["mode"] != "chat"
    and "\t" not in key
    and "\n" not in key
    and " " not in entry["mode"]
)
modes.sort(key=lambda row: row[0].encode())
with open(os.path.join(out_dir, "modes.tsv"), "w") as f:
    f.write(f"# LiteLLM {version}'s cost-map models whose mode is not chat, written by "
            "scripts/litellm-health-check.py: key, mode\n")
    for key, mode in modes:
        f.write(f"{key}\t{mode}\n")

rows = []
for provider in sorted(litellm.models_by_provider):
    cheapest = pick_cheapest_chat_models_from_llm_provider(custom_llm_provider=provider, n=3)
    cheapest = [m for m in cheapest if "\t" not in m and "\n" not in m]
    if cheapest:
        rows.append((provider, cheapest))
with open(os.path.join(out_dir, "wildcard_models.tsv"), "w") as f:
    f.write(f"# LiteLLM {version}'s three cheapest chat models per provider (a wildcard "
            "deployment's health check), written by scripts/litellm-health-check.py: "
            "provider, models\n")
    for provider, models in rows:
        f.write("\t".join([provider, *models]) + "\n")
print(f"{len(modes)} modes, {len(rows)} providers", file=sys.stderr)
