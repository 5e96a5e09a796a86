# A request rewriter, laid out as LiteLLM's "Modify / Reject Incoming Requests" docs show:
# a CustomLogger subclass in custom_callbacks.py, named in config.yaml as
#   litellm_settings:
#     callbacks: custom_callbacks.proxy_handler_instance
from typing import Literal

from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy.proxy_server import DualCache, UserAPIKeyAuth


class MyCustomHandler(CustomLogger):
    def __init__(self):
        pass

    async def async_pre_call_hook(
        self,
        user_api_key_dict: UserAPIKeyAuth,
        cache: DualCache,
        data: dict,
        call_type: Literal["completion", "text_completion", "embeddings"],
    ):
        # Every request goes to another model, and says who called.
        data["model"] = "my-new-model"
        data["user"] = f"{user_api_key_dict.user_id}:{call_type}"
        return data


proxy_handler_instance = MyCustomHandler()
