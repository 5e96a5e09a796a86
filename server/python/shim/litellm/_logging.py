import logging

verbose_logger = logging.getLogger("LiteLLM")
verbose_proxy_logger = logging.getLogger("LiteLLM Proxy")
verbose_router_logger = logging.getLogger("LiteLLM Router")
