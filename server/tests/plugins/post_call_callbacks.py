# A callback that changes successful answers, as LiteLLM's call-hooks docs show
# async_post_call_success_hook: the response it returns is what the client gets.
from litellm.integrations.custom_logger import CustomLogger


class ResponseEditor(CustomLogger):
    async def async_post_call_success_hook(self, data, user_api_key_dict, response):
        if data["messages"][0]["content"] == "edit me":
            response.choices[0].message.content = "MODIFIED BY POST CALL HOOK"
            return response
        if data["messages"][0]["content"] == "edit in place":
            response.choices[0].message.content = "changed in place"
        return None


proxy_handler_instance = ResponseEditor()
