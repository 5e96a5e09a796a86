#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine: nginx and openssl (Debian packages,
# for the real TLS upstream in the integration tests), redis-server (instances sharing the
# router's state), the Python SDK test packages, and
# Claude Code (npm, pinned in tests/claude-code) for tests/sdk/test_claude_code.py.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "setup: please install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c "import openai, anthropic, pytest, prometheus_client" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
fi
if [ ! -x tests/claude-code/node_modules/.bin/claude ]; then
    npm ci --prefix tests/claude-code --no-audit --no-fund --loglevel=error
fi
