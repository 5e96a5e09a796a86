#!/usr/bin/env bash
# Installs the LiteLLM Python proxy (the reference the harness compares corelane against) into
# harness/.venv-litellm from PyPI. Idempotent: an existing working install is kept.
# Usage: harness/litellm/setup.sh [VERSION]   (default: the newest litellm[proxy])
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# LITELLM_VENV: install there instead (scripts/setup.sh keeps one per version in the user's
# cache and links harness/.venv-litellm to it, so fresh clones need no new install).
venv="${LITELLM_VENV:-$here/.venv-litellm}"
python="${PYTHON:-python3}"
spec="litellm[proxy]"
if [[ $# -ge 1 && -n "$1" ]]; then
    spec="litellm[proxy]==$1"
fi
if [[ -x "$venv/bin/litellm" ]] && LITELLM_LOCAL_MODEL_COST_MAP=True "$venv/bin/python" -c 'import litellm.proxy.proxy_server' 2>/dev/null; then
    # google-auth: LiteLLM's Vertex AI credentials (the differential suite's vertex cases);
    # google-genai: LiteLLM's Gemini token counting (it imports the SDK's types).
    "$venv/bin/python" -c 'import google.auth' 2>/dev/null || "$venv/bin/python" -m pip install --quiet google-auth
    "$venv/bin/python" -c 'import google.genai' 2>/dev/null || "$venv/bin/python" -m pip install --quiet google-genai
    # prisma: LiteLLM's auth error handler imports it (without it an auth failure is a 500);
    # its image ships it (the `extra-proxy` extra).
    "$venv/bin/python" -c 'import prisma' 2>/dev/null || "$venv/bin/python" -m pip install --quiet "prisma>=0.11.0,<1.0"
    echo "litellm already installed in $venv ($("$venv/bin/python" -m pip show litellm 2>/dev/null | sed -n 's/^Version: //p'))"
    exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$spec" google-auth google-genai "prisma>=0.11.0,<1.0"
LITELLM_LOCAL_MODEL_COST_MAP=True "$venv/bin/python" -c 'import litellm.proxy.proxy_server'
echo "litellm installed in $venv ($("$venv/bin/python" -m pip show litellm | sed -n 's/^Version: //p'))"
