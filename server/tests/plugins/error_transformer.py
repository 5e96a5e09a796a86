# Turning errors into other ones, as LiteLLM's call-hooks docs show
# async_post_call_failure_hook: an HTTPException returned (or raised) is what the client gets.
import litellm
from fastapi import HTTPException

from litellm.integrations.custom_logger import CustomLogger


class MyErrorTransformer(CustomLogger):
    async def async_post_call_failure_hook(
        self, request_data, original_exception, user_api_key_dict, traceback_str=None
    ):
        if isinstance(original_exception, litellm.ContextWindowExceededError):
            return HTTPException(status_code=400, detail="Your prompt is too long.")
        messages = request_data.get("messages") or [{}]
        if messages[0].get("content") == "raise":
            raise HTTPException(status_code=409, detail="raised by failure hook")
        if "Invalid model name" in str(original_exception):
            return HTTPException(status_code=422, detail={"error": "rewritten by failure hook"})
        return None


proxy_handler_instance = MyErrorTransformer()
