"""corelane's Python sidecar: runs LiteLLM plugins (callbacks, guardrails, custom auth)
unchanged, for a gateway whose request path is native code.

corelane starts `python -m corelane_sidecar --socket PATH --spec FILE`; the spec names the
plugins as the config does. The sidecar loads them the way LiteLLM's proxy does (modules
beside the config file), tells corelane which hooks each one really overrides, and then
answers hook calls and takes logging events over the socket (`wire.py`).
"""
