"""LiteLLM's `CustomLogger`: every hook a no-op, with LiteLLM's signatures."""


class CustomLogger:
    def __init__(self, message_logging=True, turn_off_message_logging=False, **kwargs):
        self.message_logging = message_logging
        self.turn_off_message_logging = turn_off_message_logging

    # Logging (the proxy calls the async ones).
    def log_pre_api_call(self, model, messages, kwargs):
        pass

    def log_post_api_call(self, kwargs, response_obj, start_time, end_time):
        pass

    def log_stream_event(self, kwargs, response_obj, start_time, end_time):
        pass

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        pass

    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        pass

    async def async_log_pre_api_call(self, model, messages, kwargs):
        pass

    async def async_log_stream_event(self, kwargs, response_obj, start_time, end_time):
        pass

    async def async_logging_hook(self, kwargs, result, call_type):
        return kwargs, result

    def logging_hook(self, kwargs, result, call_type):
        return kwargs, result

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        pass

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        pass

    # Proxy hooks.
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        pass

    async def async_moderation_hook(self, data, user_api_key_dict, call_type):
        pass

    async def async_post_call_success_hook(self, data, user_api_key_dict, response):
        pass

    async def async_post_call_failure_hook(
        self, request_data, original_exception, user_api_key_dict, traceback_str=None
    ):
        pass

    async def async_post_call_streaming_hook(self, user_api_key_dict, response):
        pass

    async def async_post_call_response_headers_hook(
        self, data, user_api_key_dict, response, request_headers=None, litellm_call_info=None
    ):
        return None

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        async for item in response:
            yield item
