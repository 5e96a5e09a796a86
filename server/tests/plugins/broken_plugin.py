from litellm.integrations.custom_logger import CustomLogger

raise RuntimeError("this plugin cannot load")

proxy_handler_instance = CustomLogger()
