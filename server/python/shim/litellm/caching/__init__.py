from litellm.caching.dual_cache import DualCache  # noqa: F401
