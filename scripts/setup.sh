#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine: nginx and openssl (Debian packages,
# for the real TLS upstream in the integration tests), redis-server (instances sharing the
# router's state), postgresql (throwaway servers for the store's Postgres tests), LiteLLM's
# migrations (litellm-proxy-extras, for the store's interop test), LiteLLM 1.108.7 (the
# plugin tests run plugins on its base classes), the Python SDK test packages, and Claude
# Code (npm, pinned in tests/claude-code) for tests/sdk/test_claude_code.py.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "setup: please install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# LiteLLM itself (pinned; harness/.venv-litellm): server/tests/plugins.rs runs each plugin
# with LiteLLM's own base classes as well as with the sidecar's shim.
# One install per version in the user's cache, linked here: a fresh clone needs no new one.
litellm_version=1.108.7
cached_venv="${XDG_CACHE_HOME:-$HOME/.cache}/corelane/venv-litellm-$litellm_version"
if [ -d harness/.venv-litellm ] && [ ! -L harness/.venv-litellm ]; then
    # An install made here earlier is kept.
    bash harness/litellm/setup.sh "$litellm_version"
else
    mkdir -p "$(dirname "$cached_venv")"
    LITELLM_VENV="$cached_venv" bash harness/litellm/setup.sh "$litellm_version"
    ln -sfn "$cached_venv" harness/.venv-litellm
fi
# LiteLLM's own migrations, for store/tests/interop.rs: the harness venv has them when
# LiteLLM is installed; else the wheel is downloaded once into target/ (the test looks there).
extras=0.4.110
venv_extras=harness/.venv-litellm/lib/python3.11/site-packages/litellm_proxy_extras/migrations
extras_dir=target/litellm-proxy-extras-$extras
if [ -z "${LITELLM_MIGRATIONS_DIR:-}" ] && [ ! -d "$venv_extras" ] && [ ! -d "$extras_dir/litellm_proxy_extras/migrations" ]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        -d "$extras_dir/wheel" "litellm-proxy-extras==$extras"
    python3 -m zipfile -e "$extras_dir"/wheel/litellm_proxy_extras-*.whl "$extras_dir"
fi
if ! python3 -c "import openai, anthropic, pytest, prometheus_client" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
fi
if [ ! -x tests/claude-code/node_modules/.bin/claude ]; then
    npm ci --prefix tests/claude-code --no-audit --no-fund --loglevel=error
fi
