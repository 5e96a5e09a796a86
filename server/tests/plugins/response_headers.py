# A callback that adds HTTP headers to the proxy's answers, as LiteLLM's call-hooks docs
# show async_post_call_response_headers_hook: called after a success (non-streaming or
# streaming) and after a failure (`response` is None); the dict it returns is added to the
# answer's headers.
from typing import Any, Dict, Optional

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import UserAPIKeyAuth


class CustomHeaderHandler(CustomLogger):
    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: UserAPIKeyAuth,
        response: Any,
        request_headers: Optional[Dict[str, str]] = None,
        litellm_call_info: Optional[Dict[str, Any]] = None,
    ) -> Optional[Dict[str, str]]:
        messages = data.get("messages") or [{}]
        text = messages[0].get("content") if isinstance(messages[0], dict) else None
        if text == "no headers please":
            raise ValueError("this hook failed")
        if response is None:
            outcome = "failure"
        elif hasattr(response, "choices"):
            outcome = "success"
        else:
            outcome = "stream"
        headers = {
            "x-hook-outcome": outcome,
            "x-hook-model": str(data.get("model")),
            "x-hook-client": (request_headers or {}).get("x-client-tag", "none"),
            # Replaces the proxy's own header of that name.
            "x-litellm-model-group": "hooked",
        }
        if outcome == "success":
            headers["x-hook-answer"] = response.choices[0].message.content
        if text == "try unsafe headers":
            # Framing headers, and a value that would split the head: none reach the client.
            headers["content-length"] = "1"
            headers["transfer-encoding"] = "identity"
            headers["x-split"] = "a\r\nx-injected: 1"
            headers["X-Upper-Case"] = "kept, lowercased"
        return headers


proxy_handler_instance = CustomHeaderHandler()
