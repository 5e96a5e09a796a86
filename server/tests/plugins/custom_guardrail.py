# Custom guardrails, laid out as LiteLLM's guardrail docs show them: CustomGuardrail
# subclasses in custom_guardrail.py, each named in config.yaml's `guardrails:` with a mode.
from typing import Optional

from fastapi import HTTPException

from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.proxy._types import UserAPIKeyAuth


class ContentSafetyGuardrail(CustomGuardrail):
    """during_call: checked while the model answers; a match fails the request."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    async def async_moderation_hook(self, data: dict, user_api_key_dict: UserAPIKeyAuth, call_type):
        if data["messages"][0]["content"] == "hello world":
            raise HTTPException(status_code=400, detail={"error": "Violated content safety policy"})


class WordGuardrail(CustomGuardrail):
    """One class for each mode, as the docs' "individual event hooks" example."""

    def __init__(self, **kwargs):
        self.optional_params = kwargs
        super().__init__(**kwargs)

    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict, call_type) -> Optional[dict]:
        for message in data.get("messages", []):
            if isinstance(message.get("content"), str):
                message["content"] = message["content"].replace("litellm", "********")
        return data

    async def async_moderation_hook(self, data: dict, user_api_key_dict, call_type):
        for message in data.get("messages", []):
            if "litellm" in str(message.get("content", "")).lower():
                raise ValueError("Guardrail failed words - `litellm` detected")

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict, response):
        for choice in response.choices:
            if "coffee" in (choice.message.content or ""):
                raise ValueError("Guardrail failed Coffee Detected")


class LogMaskingGuardrail(CustomGuardrail):
    """logging_only: what the loggers get is masked; the request and its answer are not."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    async def async_logging_hook(self, kwargs: dict, result, call_type: str):
        for message in kwargs.get("messages") or []:
            if isinstance(message.get("content"), str):
                message["content"] = message["content"].replace("secret", "[MASKED]")
        return kwargs, result
