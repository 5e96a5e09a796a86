# A logging-only plugin: it overrides no call hook, so requests never wait for it.
from litellm.integrations.custom_logger import CustomLogger


class MyLogger(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        pass


proxy_handler_instance = MyLogger()
