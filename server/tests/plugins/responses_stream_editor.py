# Changing a Responses API stream as it goes: the streaming iterator hook gets each event as
# LiteLLM types it, and what it yields is what the client gets. An HTTPException ends the
# stream with a `response.failed` event.
from fastapi import HTTPException

from litellm.integrations.custom_logger import CustomLogger


class ResponsesStreamEditor(CustomLogger):
    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        async for event in response:
            if request_data.get("input") == "fail at once":
                raise HTTPException(status_code=403, detail="this stream is refused")
            if getattr(event, "type", None) == "response.output_text.delta":
                if request_data.get("input") == "fail midway":
                    raise HTTPException(status_code=400, detail="the text is refused")
                event.delta = event.delta.upper()
            yield event


proxy_handler_instance = ResponsesStreamEditor()
