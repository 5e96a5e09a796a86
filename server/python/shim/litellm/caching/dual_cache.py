"""LiteLLM's `DualCache`, in memory only (the sidecar's own; LiteLLM's may add Redis)."""

import time


class DualCache:
    def __init__(self, in_memory_cache=None, redis_cache=None, default_in_memory_ttl=None, **_):
        self._data = {}
        self.default_in_memory_ttl = default_in_memory_ttl

    def _live(self, key):
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and time.monotonic() >= expires:
            del self._data[key]
            return None
        return item

    def set_cache(self, key, value, local_only=False, **kwargs):
        ttl = kwargs.get("ttl", self.default_in_memory_ttl)
        self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def get_cache(self, key, parent_otel_span=None, local_only=False, **kwargs):
        item = self._live(key)
        return None if item is None else item[0]

    def batch_get_cache(self, keys, parent_otel_span=None, local_only=False, **kwargs):
        return [self.get_cache(k) for k in keys]

    def increment_cache(self, key, value, local_only=False, **kwargs):
        current = self.get_cache(key) or 0
        self.set_cache(key, current + value, **kwargs)
        return current + value

    def delete_cache(self, key):
        self._data.pop(key, None)

    def flush_cache(self):
        self._data.clear()

    async def async_get_cache(self, key, parent_otel_span=None, local_only=False, **kwargs):
        return self.get_cache(key)

    async def async_batch_get_cache(self, keys, parent_otel_span=None, local_only=False, **kwargs):
        return self.batch_get_cache(keys)

    async def async_set_cache(self, key, value, local_only=False, **kwargs):
        self.set_cache(key, value, **kwargs)

    async def async_batch_set_cache(self, cache_list, local_only=False, **kwargs):
        for key, value in cache_list:
            self.set_cache(key, value, **kwargs)

    async def async_increment_cache(self, key, value, parent_otel_span=None, local_only=False, **kwargs):
        return self.increment_cache(key, value, **kwargs)

    async def async_delete_cache(self, key):
        self.delete_cache(key)
