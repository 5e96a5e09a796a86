# Changing a stream as it goes, as LiteLLM's call-hooks docs show the streaming iterator
# hook: what it yields is what the client gets.
from litellm.integrations.custom_logger import CustomLogger


class StreamEditor(CustomLogger):
    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        async for item in response:
            for choice in item.choices:
                if choice.delta.content:
                    choice.delta.content = choice.delta.content.upper()
            yield item


proxy_handler_instance = StreamEditor()
