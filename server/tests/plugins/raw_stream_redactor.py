# A streaming iterator hook over `/v1/messages` streams, which LiteLLM passes to it as the raw
# bytes of each read (its `proxy/guardrails/anthropic_sse.py`): redacts a word in them. Its
# per-chunk hook is LiteLLM's documented one; LiteLLM does not call it on these streams.
from litellm.integrations.custom_logger import CustomLogger


class RawStreamRedactor(CustomLogger):
    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        async for chunk in response:
            if isinstance(chunk, bytes):
                chunk = chunk.replace(b"mock", b"****")
            yield chunk

    async def async_post_call_streaming_hook(self, user_api_key_dict, response):
        return "per-chunk hook called"


proxy_handler_instance = RawStreamRedactor()
