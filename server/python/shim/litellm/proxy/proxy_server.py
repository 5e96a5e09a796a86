"""The names LiteLLM's docs import from the proxy server module."""

from litellm.caching.dual_cache import DualCache  # noqa: F401
from litellm.proxy._types import ProxyException, UserAPIKeyAuth  # noqa: F401
